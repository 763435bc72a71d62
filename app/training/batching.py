"""Token-budget batches of similar length, so little compute goes to padding."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Example:
    src: list[int]  # source ids followed by </s>
    tgt: list[int]  # <s> target ids </s>


@dataclass(frozen=True)
class Batch:
    src: Tensor  # (B, S)
    tgt_in: Tensor  # (B, T) decoder input: <s> y1 .. yn
    tgt_out: Tensor  # (B, T) labels: y1 .. yn </s>
    n_tokens: int  # real (non-pad) label tokens


def _pad(rows: list[list[int]], pad_id: int) -> Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [pad_id] * (width - len(r)) for r in rows], dtype=torch.long)


def make_batches(examples: list[Example], max_tokens: int, pad_id: int, seed: int) -> list[Batch]:
    """Sort by length, cut into batches of at most `max_tokens` padded tokens, shuffle the batches."""
    rng = random.Random(seed)
    order = sorted(
        range(len(examples)), key=lambda i: (len(examples[i].src), len(examples[i].tgt), rng.random())
    )
    groups: list[list[Example]] = []
    current: list[Example] = []
    width = 0
    for index in order:
        ex = examples[index]
        new_width = max(width, len(ex.src), len(ex.tgt))
        if current and new_width * (len(current) + 1) > max_tokens:
            groups.append(current)
            current, new_width = [], max(len(ex.src), len(ex.tgt))
        current.append(ex)
        width = new_width
    if current:
        groups.append(current)
    rng.shuffle(groups)
    batches = []
    for group in groups:
        tgt = _pad([ex.tgt for ex in group], pad_id)
        tgt_out = tgt[:, 1:]
        batches.append(
            Batch(
                src=_pad([ex.src for ex in group], pad_id),
                tgt_in=tgt[:, :-1],
                tgt_out=tgt_out,
                n_tokens=int((tgt_out != pad_id).sum()),
            )
        )
    return batches
