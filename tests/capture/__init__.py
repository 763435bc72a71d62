"""Tests of the capture room: traces and the analyses computed from them."""
