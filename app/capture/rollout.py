"""Attention rollout (Abnar & Zuidema, 2020): how much each output position draws on each input.

Each layer's head-averaged attention A is mixed with the residual path as
Ã = ½A + ½I (rows still sum to 1) and the Ã are multiplied through the layers.
For the decoder the self-attention steps mix decoder positions, and each
cross-attention step sends half of a position's mass (the residual keeps the
other half) to the source, through the encoder's own rollout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.capture.trace import Trace


@dataclass(frozen=True)
class Rollout:
    encoder: np.ndarray  # (S, S) encoder output position × source token
    decoder: np.ndarray  # (T, T) decoder position × decoder input token
    decoder_to_source: np.ndarray  # (T, S) decoder position × source token
    # Row t of [decoder | decoder_to_source] sums to 1: the split between target and source context.


def with_residual(attention: np.ndarray) -> np.ndarray:
    """(L, L') head-mean attention -> ½A + ½I, rows renormalised."""
    mixed = 0.5 * attention + 0.5 * np.eye(*attention.shape)
    return mixed / mixed.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def encoder_rollout(layers: np.ndarray) -> np.ndarray:
    """layers (n, S, S) head-mean encoder attention -> (S, S)."""
    result = np.eye(layers.shape[-1])
    for attention in layers:
        result = with_residual(attention) @ result
    return result


def decoder_rollout(
    self_layers: np.ndarray,  # (n, T, T) head-mean masked self-attention
    cross_layers: np.ndarray,  # (n, T, S) head-mean cross-attention
    encoder: np.ndarray,  # (S, S) encoder rollout
) -> tuple[np.ndarray, np.ndarray]:
    t = self_layers.shape[-1]
    to_target = np.eye(t)  # (T, T)
    to_source = np.zeros((t, encoder.shape[0]))  # (T, S)
    for self_attention, cross in zip(self_layers, cross_layers, strict=True):
        mix = with_residual(self_attention)
        to_target, to_source = mix @ to_target, mix @ to_source
        to_target, to_source = 0.5 * to_target, 0.5 * to_source + 0.5 * (cross @ encoder)
    return to_target, to_source


def rollout(trace: Trace) -> Rollout:
    enc = encoder_rollout(trace.attention["encoder"].weights.mean(axis=1))
    dec, cross = decoder_rollout(
        trace.attention["decoder"].weights.mean(axis=1), trace.attention["cross"].weights.mean(axis=1), enc
    )
    return Rollout(enc, dec, cross)
