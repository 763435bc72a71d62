"""Tests for attnscope."""
