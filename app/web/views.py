"""Per-view template context: which figures and numbers each view of the page needs.

Each function takes a trace (and the page state) and returns plain data for one
partial; only the current view's data is ever computed and sent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.capture.ablation import HeadRef, ablate
from app.capture.heads import all_head_stats
from app.capture.trace import Trace
from app.transformer.probes import ATTENTION_KINDS, AttentionKind
from app.web.figures.attention import (
    KIND_TITLES,
    compare_figures,
    difference_figure,
    grid_figure,
    head_entropy_difference,
    head_figure,
    kind_tokens,
)
from app.web.figures.internals import activation_figures, positional_figures, rollout_figures
from app.web.figures.steps import replay_figures, step_figure, vectors_figure
from app.web.payloads import (
    activations_payload,
    cross_row,
    head_matrix,
    heads_payload,
    positional_payload,
    rollout_payload,
    step_payload,
)
from app.web.service import ModelService, TraceRequest
from app.web.state import PageState

EXPLAIN = {
    "explorer": "Rows are queries (the token doing the looking), columns are keys (the tokens it looks at); "
    "each row sums to 1. Use ←/→ for heads and ↑/↓ for layers.",
    "model": "Every head of one kind at once: similar pictures mean similar jobs. "
    "Click a cell to open it in the explorer.",
    "compare": "Encoder self, decoder masked self and cross-attention of the same layer on one colour "
    "scale. Hover a cell: the same tokens light up in all three.",
    "step": "Scaled dot-product attention for one head and one query, with the model's real numbers: "
    "softmax(q·Kᵀ/√d_k) · V.",
    "replay": "Decoding one token at a time: at each step, where the decoder looked in the source and "
    "which next tokens it weighed.",
    "positional": "Sinusoidal positional encodings are added to the token embeddings so that attention "
    "can tell positions apart.",
    "activations": "The residual stream after each sub-layer, how much each layer changes a token, and which "
    "feed-forward neurons fire.",
    "heads": "A number per head for what its pattern looks like, and attention rollout: attention multiplied "
    "through the layers.",
    "ablation": "Switch heads off (their output set to zero), translate again, and see what changes.",
}


def explorer_context(trace: Trace, state: PageState) -> dict[str, Any]:
    matrix = head_matrix(trace, state.kind, state.layer, state.head)
    stats = {(s.kind, s.layer, s.head): s for s in all_head_stats(trace)}
    key = (state.kind, state.layer, -1 if state.head == "mean" else int(state.head))
    return {"figure": head_figure(trace, state.kind, state.layer, state.head, matrix), "stats": stats[key]}


def model_context(trace: Trace, state: PageState) -> dict[str, Any]:
    return {"figure": grid_figure(trace, state.kind)}


async def compare_context(trace: Trace, state: PageState, service: ModelService) -> dict[str, Any]:
    layer = min(state.layer, min(trace.n_layers.values()) - 1)
    matrices = {kind: head_matrix(trace, kind, layer, state.head) for kind in ATTENTION_KINDS}
    context: dict[str, Any] = {"figures": compare_figures(trace, layer, state.head, matrices), "layer": layer}
    if state.text2.strip():
        other = await service.trace(TraceRequest(state.text2, trace.model, trace.beam_size))
        a = head_matrix(trace, state.kind, state.layer, state.head)
        b = head_matrix(other, state.kind, state.layer, state.head)
        rows_a, cols_a = kind_tokens(trace, state.kind)
        rows_b, cols_b = kind_tokens(other, state.kind)
        figures = {
            "a": head_figure(trace, state.kind, state.layer, state.head, a),
            "b": head_figure(other, state.kind, state.layer, state.head, b),
        }
        if a.shape == b.shape:
            rows = [ra if ra == rb else f"{ra} / {rb}" for ra, rb in zip(rows_a, rows_b, strict=True)]
            cols = [ca if ca == cb else f"{ca} / {cb}" for ca, cb in zip(cols_a, cols_b, strict=True)]
            title = f"Difference B − A · {KIND_TITLES[state.kind]}"
            figures["diff"] = difference_figure(a, b, rows, cols, state.kind, title)
        entropy = {t: _entropy_grid(x, state.kind) for t, x in (("a", trace), ("b", other))}
        figures["entropy"] = head_entropy_difference(entropy["a"], entropy["b"], state.kind)
        context["pair"] = {"other": other, "figures": figures, "same_shape": a.shape == b.shape}
    return context


def _entropy_grid(trace: Trace, kind: AttentionKind) -> np.ndarray:
    stats = [s for s in all_head_stats(trace) if s.kind == kind and s.head >= 0]
    grid = np.zeros((trace.n_layers[kind], trace.n_heads))
    for s in stats:
        grid[s.layer, s.head] = s.normalized_entropy
    return grid


def step_context(trace: Trace, state: PageState) -> dict[str, Any]:
    payload = step_payload(trace, state.kind, state.layer, state.head_index, state.query)
    top = int(np.argmax(payload.weights))
    rows, _ = kind_tokens(trace, state.kind)
    return {
        "step": payload,
        "rows": rows,
        "top": top,
        "sqrt_dk": float(np.sqrt(payload.d_k)),
        "figure": step_figure(payload),
        "vectors": vectors_figure(payload),
    }


def replay_context(trace: Trace, state: PageState) -> dict[str, Any]:
    row = cross_row(trace, state.layer, state.head, state.step)
    step = trace.steps[state.step]
    head_text = "mean of heads" if state.head == "mean" else f"head {state.head}"
    attention_fig, top_fig = replay_figures(
        trace.source.display, row, step, f"layer {state.layer}, {head_text}"
    )
    return {"current": step, "attention_figure": attention_fig, "top_figure": top_fig}


def positional_context(trace: Trace, state: PageState) -> dict[str, Any]:
    return {"figures": positional_figures(positional_payload(trace))}


def activations_context(trace: Trace, state: PageState) -> dict[str, Any]:
    payload = activations_payload(trace, state.stack, state.ffn_layer)
    return {"figures": activation_figures(payload), "payload": payload}


def heads_context(trace: Trace, state: PageState) -> dict[str, Any]:
    return {"rows": heads_payload(trace), "figures": rollout_figures(rollout_payload(trace))}


def parse_heads(trace: Trace, specs: tuple[str, ...]) -> list[HeadRef]:
    """`kind.layer.head` strings -> HeadRefs; malformed or out-of-range entries are dropped."""
    refs: list[HeadRef] = []
    for spec in specs:
        parts = spec.split(".")
        if len(parts) != 3 or parts[0] not in ATTENTION_KINDS or not (parts[1] + parts[2]).isdigit():
            continue
        kind = parts[0]
        layer, head = int(parts[1]), int(parts[2])
        if layer < trace.n_layers[kind] and head < trace.n_heads:
            refs.append(HeadRef(kind, layer, head))
    return refs


async def ablation_context(trace: Trace, state: PageState, service: ModelService) -> dict[str, Any]:
    refs = parse_heads(trace, state.ablate)
    result = None
    if refs:
        loaded = service.resolve(trace.model)
        result = await service.run(
            lambda: ablate(loaded, trace.text, refs, trace.beam_size, original=trace.output_ids)
        )
    selected = {f"{r.kind}.{r.layer}.{r.head}" for r in refs}
    return {"result": result, "selected": selected}
