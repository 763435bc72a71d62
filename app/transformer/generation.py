"""Greedy and beam-search decoding.

Decoding re-runs the decoder on the whole prefix at each step instead of caching
keys and values: for sentences of a few dozen tokens on a small model this costs
little, and it means every step goes through the very code path that the
teacher-forced trace goes through.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from app.transformer.model import HeadMask, Transformer
from app.transformer.probes import Probe


def _strip(ids: list[int], eos_id: int) -> list[int]:
    """Token ids after <s>, cut at (and without) the first </s>."""
    out = ids[1:]
    return out[: out.index(eos_id)] if eos_id in out else out


@torch.no_grad()
def greedy_decode(
    model: Transformer,
    src: Tensor,  # (B, S)
    max_length: int,
    head_mask: HeadMask | None = None,
    probe: Probe | None = None,
) -> list[list[int]]:
    """Most likely token at each step, for a batch; returns output ids without <s>/</s>.

    `probe` sees the encoder once and the decoder at every step; its last step is the
    pass over the whole output, i.e. exactly the values a teacher-forced pass would give.
    """
    c = model.config
    memory = model.encode(src, probe, head_mask)  # (B, S, d_model)
    batch = src.size(0)
    tgt = torch.full((batch, 1), c.bos_id, dtype=torch.long, device=src.device)  # (B, 1)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    limit = min(max_length, c.max_len - 1)
    for _ in range(limit):
        logits = model.decode(tgt, memory, src, probe, head_mask)[:, -1]  # (B, vocab)
        next_id = logits.argmax(dim=-1)  # (B,)
        next_id = torch.where(done, torch.full_like(next_id, c.pad_id), next_id)
        tgt = torch.cat([tgt, next_id.unsqueeze(1)], dim=1)
        done |= next_id == c.eos_id
        if bool(done.all()):
            break
    return [_strip([i for i in row if i != c.pad_id], c.eos_id) for row in tgt.tolist()]


@dataclass
class _Hypothesis:
    ids: list[int]
    log_prob: float
    finished: bool = False

    def score(self, alpha: float) -> float:
        """Length-normalised log-probability (GNMT penalty), so short outputs are not favoured."""
        length_penalty = ((5 + len(self.ids)) / 6) ** alpha
        return float(self.log_prob / length_penalty)


@torch.no_grad()
def beam_search(
    model: Transformer,
    src: Tensor,  # (1, S)
    beam_size: int,
    max_length: int,
    alpha: float = 0.6,
    head_mask: HeadMask | None = None,
) -> list[int]:
    """The best-scoring hypothesis for one sentence; output ids without <s>/</s>."""
    if src.size(0) != 1:
        raise ValueError("beam_search decodes one sentence at a time")
    if beam_size <= 1:
        return greedy_decode(model, src, max_length, head_mask)[0]
    c = model.config
    memory = model.encode(src, head_mask=head_mask)  # (1, S, d_model)
    beams = [_Hypothesis([c.bos_id], 0.0)]
    limit = min(max_length, c.max_len - 1)
    for _ in range(limit):
        alive = [h for h in beams if not h.finished]
        if not alive:
            break
        tgt = torch.tensor([h.ids for h in alive], device=src.device)  # (A, t)
        n = len(alive)
        logits = model.decode(tgt, memory.expand(n, -1, -1), src.expand(n, -1), head_mask=head_mask)
        log_probs = torch.log_softmax(logits[:, -1], dim=-1)  # (A, vocab)
        top_lp, top_id = log_probs.topk(beam_size, dim=-1)  # (A, beam)
        candidates = [h for h in beams if h.finished]
        for row, hyp in enumerate(alive):
            for lp, token in zip(top_lp[row].tolist(), top_id[row].tolist(), strict=True):
                candidates.append(_Hypothesis([*hyp.ids, token], hyp.log_prob + lp, token == c.eos_id))
        candidates.sort(key=lambda h: h.score(alpha), reverse=True)
        beams = candidates[:beam_size]
        if all(h.finished for h in beams):
            break
    best = max(beams, key=lambda h: h.score(alpha))
    return _strip(best.ids, c.eos_id)
