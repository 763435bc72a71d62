"""A tiny seeded model built in memory for the capture and web tests.

The shipped model is large, may be mid-training, and is not in a fresh clone, so these
tests build their own: a BPE vocabulary trained on generated sentences and an untrained,
seeded Transformer. Every number it produces is reproducible, which is all the tests need:
they check how the internals are recorded and served, not translation quality.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path

import torch

from app.transformer.checkpoint import LoadedModel
from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer

SEED = 20240611
VOCAB_SIZE = 200

# Aligned word lists: item i of an English list translates item i of the French one.
_SUBJECTS = (("I", "je"), ("you", "tu"), ("we", "nous"), ("they", "ils"), ("the girl", "la fille"))
_VERBS = (("like", "aime"), ("see", "vois"), ("want", "veux"), ("need", "prends"))
_OBJECTS = (
    ("the red apple", "la pomme rouge"),
    ("a small house", "une petite maison"),
    ("cold water", "de l'eau froide"),
    ("the old train", "le vieux train"),
    ("green tea", "du thé vert"),
)


def generated_pairs() -> list[tuple[str, str]]:
    """Every subject × verb × object as an (English, French-ish) sentence pair: 100 pairs."""
    return [
        (f"{es.capitalize()} {ev} {eo}.", f"{fs.capitalize()} {fv} {fo}.")
        for (es, fs), (ev, fv), (eo, fo) in itertools.product(_SUBJECTS, _VERBS, _OBJECTS)
    ]


def generated_sentences() -> list[str]:
    """Both sides of every pair plus a few questions: enough text for a ~200-token vocabulary."""
    extra = ["Hello, how are you today?", "Where is the station!", "Bonjour, où est la gare ?"]
    return [text for pair in generated_pairs() for text in pair] + extra


@lru_cache(maxsize=1)
def tiny_tokenizer() -> SubwordTokenizer:
    return SubwordTokenizer.train(generated_sentences(), vocab_size=VOCAB_SIZE)


def tiny_config(vocab_size: int) -> ModelConfig:
    return ModelConfig(
        vocab_size=vocab_size,
        d_model=32,
        n_heads=4,
        n_encoder_layers=2,
        n_decoder_layers=2,
        d_ff=64,
        dropout=0.0,
    )


@lru_cache(maxsize=1)
def tiny_loaded_model() -> LoadedModel:
    """One shared instance (seeded, eval mode, CPU); tests must treat it as read-only."""
    tokenizer = tiny_tokenizer()
    torch.manual_seed(SEED)
    model = Transformer(tiny_config(tokenizer.vocab_size)).eval()
    return LoadedModel(
        name="tiny", path=Path("tiny"), model=model, tokenizer=tokenizer, device=torch.device("cpu")
    )


def _padded(rows: list[list[int]], pad_id: int) -> torch.Tensor:
    width = max(len(row) for row in rows)
    return torch.tensor([row + [pad_id] * (width - len(row)) for row in rows], dtype=torch.long)


@lru_cache(maxsize=1)
def tiny_trained_model(steps: int = 80) -> LoadedModel:
    """The same architecture fitted for a few seconds to the generated pairs.

    An untrained model never emits </s>, so only this one exercises finished traces, the
    final </s> step and an output that stops before the length limit.
    """
    tokenizer = tiny_tokenizer()
    torch.manual_seed(SEED + 1)
    model = Transformer(tiny_config(tokenizer.vocab_size))
    c = model.config
    pairs = generated_pairs()
    src = _padded([[*tokenizer.encode(en).ids, c.eos_id] for en, _ in pairs], c.pad_id)
    tgt = [[c.bos_id, *tokenizer.encode(fr).ids, c.eos_id] for _, fr in pairs]
    tgt_in, tgt_out = _padded([t[:-1] for t in tgt], c.pad_id), _padded([t[1:] for t in tgt], c.pad_id)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        logits = model(src, tgt_in)  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=c.pad_id
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return LoadedModel(
        name="tiny-trained",
        path=Path("tiny-trained"),
        model=model,
        tokenizer=tokenizer,
        device=torch.device("cpu"),
    )
