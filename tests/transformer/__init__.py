"""Tests for the model room: the Transformer, its tokenizer, decoding and checkpoints."""
