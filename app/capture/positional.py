"""Views of the sinusoidal positional encodings used by one sentence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.capture.trace import StackActivations, Trace


@dataclass(frozen=True)
class PositionalView:
    encodings: np.ndarray  # (P, d_model) PE rows for positions 0..P-1, P = longer side
    similarity: np.ndarray  # (P, P) cosine of PE vectors: nearby positions look alike
    source_token_norm: np.ndarray  # (S,) |embedding × √d_model| per source token
    source_position_norm: np.ndarray  # (S,) |PE| per source position
    target_token_norm: np.ndarray  # (T,)
    target_position_norm: np.ndarray  # (T,)


def cosine_matrix(rows: np.ndarray) -> np.ndarray:
    """(N, d) -> (N, N) pairwise cosine similarity."""
    unit = rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)
    return unit @ unit.T  # type: ignore[no-any-return]


def _norms(stack: StackActivations) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.norm(stack.token_embedding, axis=-1), np.linalg.norm(stack.positional, axis=-1)


def positional_view(trace: Trace) -> PositionalView:
    longer = trace.encoder if len(trace.source) >= len(trace.target) else trace.decoder
    encodings = longer.positional
    src_tok, src_pos = _norms(trace.encoder)
    tgt_tok, tgt_pos = _norms(trace.decoder)
    return PositionalView(encodings, cosine_matrix(encodings), src_tok, src_pos, tgt_tok, tgt_pos)
