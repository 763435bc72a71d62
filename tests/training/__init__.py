"""Tests for the training room: corpus handling, schedule, batching and the CLI."""
