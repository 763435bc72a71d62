"""Text in, text out: tokenize, decode (greedy in batches, or beam one by one), detokenize."""

from __future__ import annotations

import torch

from app.transformer.generation import beam_search, greedy_decode
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer


def source_ids(tokenizer: SubwordTokenizer, text: str, eos_id: int) -> list[int]:
    """Source side as the model was trained on it: subword ids then </s>."""
    return [*tokenizer.encode(text).ids, eos_id]


def default_max_length(source_length: int) -> int:
    """Outputs rarely run past twice the source plus a margin; the hard cap is the model's max_len."""
    return 2 * source_length + 10


@torch.no_grad()
def translate_texts(
    model: Transformer,
    tokenizer: SubwordTokenizer,
    texts: list[str],
    beam_size: int = 1,
    batch_size: int = 64,
    max_length: int | None = None,
) -> list[str]:
    """Translate many sentences; greedy decoding is batched by length, beam search runs per sentence."""
    c = model.config
    device = next(model.parameters()).device
    encoded = [source_ids(tokenizer, t, c.eos_id)[: c.max_len] for t in texts]
    results: list[str] = [""] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    step = batch_size if beam_size <= 1 else 1
    for start in range(0, len(order), step):
        chunk = order[start : start + step]
        width = max(len(encoded[i]) for i in chunk)
        rows = [encoded[i] + [c.pad_id] * (width - len(encoded[i])) for i in chunk]
        src = torch.tensor(rows, dtype=torch.long, device=device)  # (B, S)
        limit = max_length or default_max_length(width)
        if beam_size <= 1:
            outputs = greedy_decode(model, src, limit)
        else:
            outputs = [beam_search(model, src, beam_size, limit)]
        for index, ids in zip(chunk, outputs, strict=True):
            results[index] = tokenizer.decode(ids)
    return results
