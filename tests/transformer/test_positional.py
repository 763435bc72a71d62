"""Sinusoidal positional encodings: the paper's formula, not saved with the weights, bounded."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.positional import PositionalEncoding, sinusoidal_table
from tests.helpers import PaddedBatch, Recorder


@pytest.mark.parametrize(
    ("position", "column", "expected"),
    [
        (0, 0, 0.0),  # sin(0)
        (0, 1, 1.0),  # cos(0)
        (1, 0, 0.8414709848),  # sin(1)
        (1, 1, 0.5403023059),  # cos(1)
        (3, 0, 0.1411200081),  # sin(3)
        (2, 2, 0.0199986667),  # sin(2 / 10000^(2/4)) = sin(0.02)
        (2, 3, 0.9998000067),  # cos(0.02)
        (50, 3, 0.8775825619),  # cos(50 / 100) = cos(0.5)
    ],
)
def test_table_matches_hand_computed_entries(position: int, column: int, expected: float) -> None:
    table = sinusoidal_table(64, 4)
    assert table.shape == (64, 4)
    assert float(table[position, column]) == pytest.approx(expected, abs=1e-6)


def test_table_matches_the_formula_everywhere() -> None:
    d_model = 16
    table = sinusoidal_table(20, d_model)
    for pos in range(20):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            assert float(table[pos, 2 * i]) == pytest.approx(math.sin(angle), abs=1e-5)
            assert float(table[pos, 2 * i + 1]) == pytest.approx(math.cos(angle), abs=1e-5)


def test_table_is_a_buffer_that_is_not_saved(tiny_model: Transformer) -> None:
    assert "positional.table" in dict(tiny_model.named_buffers())
    assert "positional.table" not in tiny_model.state_dict()
    assert not any(name.startswith("positional") for name, _ in tiny_model.named_parameters())


def test_model_adds_the_table_rows_it_asks_for(tiny_model: Transformer, padded_batch: PaddedBatch) -> None:
    recorder = Recorder()
    with torch.no_grad():
        tiny_model.encode(padded_batch.src, probe=recorder)
    length = padded_batch.src.size(1)
    position = recorder["encoder.embed.position"]  # (B, S, d_model)
    for row in position:
        assert torch.equal(row, tiny_model.positional.table[:length])


def test_more_positions_than_max_len_raise() -> None:
    encoding = PositionalEncoding(max_len=8, d_model=4)
    assert encoding(8).shape == (8, 4)
    with pytest.raises(ValueError, match="max_len"):
        encoding(9)


def test_model_rejects_a_sentence_longer_than_max_len(tiny_config: ModelConfig) -> None:
    model = Transformer(dataclasses.replace(tiny_config, max_len=8)).eval()
    with pytest.raises(ValueError, match="max_len"):
        model.encode(torch.full((1, 9), 5, dtype=torch.long))
