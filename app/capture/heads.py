"""Per-head statistics and pattern labels, from attention weights alone (pure NumPy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.capture.trace import Trace
from app.transformer.probes import ATTENTION_KINDS, AttentionKind

# A head gets a label when one pattern takes at least this share of its weight.
PATTERN_SHARE = 0.5
BROAD_ENTROPY = 0.85  # normalised entropy above which a head is "broad"


@dataclass(frozen=True)
class HeadStats:
    kind: AttentionKind
    layer: int
    head: int  # -1 for the mean over heads
    entropy: float  # mean over query rows, in nats
    normalized_entropy: float  # entropy / log(number of allowed keys), 0..1
    mean_distance: float  # expected |query − key| position distance
    max_weight: float  # mean over rows of the row's largest weight
    same: float  # share of weight on the key at the query's own position
    previous: float
    next: float
    first: float
    last: float
    label: str


def _row_entropy(weights: np.ndarray) -> np.ndarray:
    """(R, C) -> (R,) entropy of each row, 0·log 0 taken as 0."""
    safe = np.where(weights > 0, weights, 1.0)
    return -(weights * np.log(safe)).sum(axis=-1)  # type: ignore[no-any-return]


def _offset_share(weights: np.ndarray, offset: int) -> float:
    """Mean weight on key j = i + offset, over the rows where that key exists."""
    rows, cols = weights.shape
    values = [weights[i, i + offset] for i in range(rows) if 0 <= i + offset < cols]
    return float(np.mean(values)) if values else 0.0


def _label(s: dict[str, float], kind: AttentionKind) -> str:
    candidates = {
        "previous token": s["previous"],
        "next token": s["next"],
        "diagonal (self)" if kind != "cross" else "diagonal (position-aligned)": s["same"],
        "broadcast to end token" if kind != "decoder" else "broadcast to last token": s["last"],
        "first token": s["first"],
    }
    if kind == "cross":
        # Source and target positions only line up by accident: "previous"/"next" mean little there.
        del candidates["previous token"], candidates["next token"]
    name, share = max(candidates.items(), key=lambda item: item[1])
    if share >= PATTERN_SHARE:
        return name
    if s["normalized_entropy"] >= BROAD_ENTROPY:
        return "broad (near uniform)"
    if s["max_weight"] >= 0.6:
        return "focused (content-based)"
    return "mixed"


def head_stats(
    weights: np.ndarray, mask: np.ndarray, kind: AttentionKind, layer: int, head: int
) -> HeadStats:
    """weights (R, C) for one head; mask (R, C) True where a key was allowed."""
    rows, cols = weights.shape
    allowed = mask.sum(axis=-1).clip(min=1)  # (R,)
    entropy = _row_entropy(weights)  # (R,)
    norm = np.where(allowed > 1, entropy / np.log(np.maximum(allowed, 2)), 0.0)
    distance = np.abs(np.arange(rows)[:, None] - np.arange(cols)[None, :])  # (R, C)
    s = {
        "entropy": float(entropy.mean()),
        "normalized_entropy": float(norm.mean()),
        "mean_distance": float((weights * distance).sum(axis=-1).mean()),
        "max_weight": float(weights.max(axis=-1).mean()),
        "same": _offset_share(weights, 0),
        "previous": _offset_share(weights, -1),
        "next": _offset_share(weights, 1),
        "first": float(weights[:, 0].mean()),
        "last": float(weights[:, -1].mean()),
    }
    return HeadStats(kind=kind, layer=layer, head=head, label=_label(s, kind), **s)


def all_head_stats(trace: Trace) -> list[HeadStats]:
    """Every kind × layer × head, plus each layer's mean over heads (head = -1)."""
    out: list[HeadStats] = []
    for kind in ATTENTION_KINDS:
        tensors = trace.attention[kind]
        for layer in range(tensors.weights.shape[0]):
            for head in range(tensors.weights.shape[1]):
                out.append(head_stats(tensors.weights[layer, head], tensors.mask, kind, layer, head))
            out.append(head_stats(tensors.weights[layer].mean(axis=0), tensors.mask, kind, layer, -1))
    return out
