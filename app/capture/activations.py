"""Views of the residual stream and the feed-forward layers for one sentence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.capture.trace import StackActivations, Trace
from app.transformer.probes import Stack

TOP_NEURONS = 8


@dataclass(frozen=True)
class NeuronActivity:
    layer: int
    neuron: int
    mean_activation: float  # over the sentence's tokens
    max_activation: float
    top_token: int  # position where it fires most


@dataclass(frozen=True)
class StackView:
    stack: Stack
    sites: list[str]  # "embed", then "<layer>.<sublayer>" in computation order
    residual_norms: np.ndarray  # (sites, L) |residual stream| per token after each site
    layer_similarity: np.ndarray  # (layers, L) cosine of a token's vector before vs after each layer
    ffn_sparsity: np.ndarray  # (layers,) share of FFN hidden units that are exactly 0 (ReLU off)
    ffn_token_sparsity: np.ndarray  # (layers, L)
    ffn_hidden: np.ndarray  # (layers, L, d_ff)
    top_neurons: list[list[NeuronActivity]]  # per layer, most active neurons on this sentence


def _row_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(L, d), (L, d) -> (L,) cosine of matching rows."""
    num = (a * b).sum(axis=-1)
    den = np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    return num / den  # type: ignore[no-any-return]


def _top_neurons(hidden: np.ndarray, layer: int) -> list[NeuronActivity]:
    """hidden (L, d_ff) -> the TOP_NEURONS neurons with the highest mean activation."""
    mean = hidden.mean(axis=0)  # (d_ff,)
    order = np.argsort(-mean)[:TOP_NEURONS]
    return [
        NeuronActivity(layer, int(n), float(mean[n]), float(hidden[:, n].max()), int(hidden[:, n].argmax()))
        for n in order
    ]


def stack_view(stack: Stack, acts: StackActivations) -> StackView:
    sites = list(acts.residual)
    norms = np.stack([np.linalg.norm(acts.residual[s], axis=-1) for s in sites])  # (sites, L)
    n_layers = acts.ffn_hidden.shape[0]
    layer_outputs = [acts.residual["embed"]] + [acts.residual[f"{i}.ffn"] for i in range(n_layers)]
    similarity = np.stack([_row_cosine(layer_outputs[i], layer_outputs[i + 1]) for i in range(n_layers)])
    zero = acts.ffn_hidden <= 0.0  # (layers, L, d_ff)
    return StackView(
        stack=stack,
        sites=sites,
        residual_norms=norms,
        layer_similarity=similarity,
        ffn_sparsity=zero.mean(axis=(1, 2)),
        ffn_token_sparsity=zero.mean(axis=2),
        ffn_hidden=acts.ffn_hidden,
        top_neurons=[_top_neurons(acts.ffn_hidden[i], i) for i in range(n_layers)],
    )


def activation_views(trace: Trace) -> dict[Stack, StackView]:
    return {"encoder": stack_view("encoder", trace.encoder), "decoder": stack_view("decoder", trace.decoder)}
