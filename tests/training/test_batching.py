"""Token-budget batches: every example exactly once, within budget, labels shifted by one."""

from __future__ import annotations

import random

from app.training.batching import Example, make_batches

PAD = 0


def _examples(count: int) -> list[Example]:
    rng = random.Random(4)
    out = []
    for index in range(count):
        src = [4 + index % 50] + [rng.randrange(4, 60) for _ in range(rng.randint(0, 12))] + [3]
        tgt = [2] + [rng.randrange(4, 60) for _ in range(rng.randint(1, 14))] + [3]
        out.append(Example(src, tgt))
    return out


def _unpad(row: list[int]) -> list[int]:
    while row and row[-1] == PAD:
        row = row[:-1]
    return row


def test_every_example_lands_in_exactly_one_batch_within_the_budget() -> None:
    examples = _examples(200)
    batches = make_batches(examples, max_tokens=120, pad_id=PAD, seed=0)
    seen = []
    for batch in batches:
        rows = batch.src.size(0)
        assert rows * max(batch.src.size(1), batch.tgt_in.size(1) + 1) <= 120 or rows == 1
        for src, tgt_in, tgt_out in zip(
            batch.src.tolist(), batch.tgt_in.tolist(), batch.tgt_out.tolist(), strict=True
        ):
            tgt = _unpad([*tgt_in, tgt_out[-1]])
            assert tgt_out[: len(tgt) - 1] == tgt[1:], "labels are the decoder input moved left by one"
            seen.append((tuple(_unpad(src)), tuple(tgt)))
        assert batch.n_tokens == int((batch.tgt_out != PAD).sum())
    assert sorted(seen) == sorted((tuple(e.src), tuple(e.tgt)) for e in examples)


def test_batches_are_reproducible_per_seed_and_shuffled_across_seeds() -> None:
    examples = _examples(200)

    def shapes(seed: int) -> list[tuple[int, ...]]:
        return [tuple(b.src.shape) for b in make_batches(examples, 120, PAD, seed)]

    assert shapes(1) == shapes(1)
    assert shapes(1) != shapes(2)
    assert sorted(shapes(1)) == sorted(shapes(2))
