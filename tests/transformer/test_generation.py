"""End to end on a toy task: the model, the loss and the batching can learn, and both decoders read it out.

Reversing short symbol strings needs every part to work: attention has to find the
right source position, the causal decoder has to track where it is, and the loss
has to push the right logits. A bug in any of them stalls the fit.
"""

from __future__ import annotations

import random

import pytest
import torch

from app.training.batching import Example, make_batches
from app.training.schedule import label_smoothed_loss
from app.transformer.config import ModelConfig
from app.transformer.generation import beam_search, greedy_decode
from app.transformer.model import Transformer

FIRST_SYMBOL, N_SYMBOLS = 4, 10  # ids 4..13; 0..3 are <pad> <unk> <s> </s>
MAX_STEPS = 400
TARGET_LOSS = 0.01  # per token


def _reverse_task(count: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    sequences: set[tuple[int, ...]] = set()
    while len(sequences) < count:
        length = rng.randint(3, 6)
        sequences.add(tuple(rng.randrange(FIRST_SYMBOL, FIRST_SYMBOL + N_SYMBOLS) for _ in range(length)))
    return [Example([*s, 3], [2, *reversed(s), 3]) for s in sorted(sequences)]


@pytest.fixture(scope="module")
def overfit() -> tuple[Transformer, list[Example], int]:
    """A tiny model trained until it has memorised 40 reversals; also returns the steps it took."""
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=FIRST_SYMBOL + N_SYMBOLS,
        d_model=32,
        n_heads=4,
        n_encoder_layers=2,
        n_decoder_layers=2,
        d_ff=64,
        dropout=0.0,
        max_len=16,
    )
    model = Transformer(config)
    examples = _reverse_task(40, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98))
    model.train()
    for step in range(1, MAX_STEPS + 1):
        loss_sum, tokens = 0.0, 0
        for batch in make_batches(examples, max_tokens=1000, pad_id=config.pad_id, seed=step):
            loss = label_smoothed_loss(model(batch.src, batch.tgt_in), batch.tgt_out, config.pad_id, 0.0)
            optimizer.zero_grad(set_to_none=True)
            (loss / batch.n_tokens).backward()
            optimizer.step()
            loss_sum, tokens = loss_sum + float(loss.detach()), tokens + batch.n_tokens
        if loss_sum / tokens < TARGET_LOSS:
            break
    return model.eval(), examples, step


def _sources(examples: list[Example]) -> torch.Tensor:
    width = max(len(e.src) for e in examples)
    return torch.tensor([e.src + [0] * (width - len(e.src)) for e in examples])


def test_training_reaches_a_low_loss(overfit: tuple[Transformer, list[Example], int]) -> None:
    _, _, steps = overfit
    assert steps < MAX_STEPS, "the toy task was not learned"


def test_greedy_decoding_reproduces_the_training_targets(
    overfit: tuple[Transformer, list[Example], int],
) -> None:
    model, examples, _ = overfit
    outputs = greedy_decode(model, _sources(examples), max_length=10)
    hits = sum(out == ex.tgt[1:-1] for out, ex in zip(outputs, examples, strict=True))
    assert hits >= 0.9 * len(examples), f"only {hits}/{len(examples)} exact"


def test_beam_search_agrees_with_greedy_on_a_confident_model(
    overfit: tuple[Transformer, list[Example], int],
) -> None:
    model, examples, _ = overfit
    greedy = greedy_decode(model, _sources(examples), max_length=10)
    for example, expected in zip(examples, greedy, strict=True):
        assert beam_search(model, torch.tensor([example.src]), beam_size=3, max_length=10) == expected


def test_beam_search_refuses_a_batch(overfit: tuple[Transformer, list[Example], int]) -> None:
    model, examples, _ = overfit
    with pytest.raises(ValueError, match="one sentence"):
        beam_search(model, _sources(examples[:2]), beam_size=3, max_length=10)
