"""Tests of the JSON API and the command line, through a tiny in-memory model."""
