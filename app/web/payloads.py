"""Trace -> API payloads, with range checks that turn bad indices into ClientErrors.

Shared by the JSON API and the HTML pages, so both show the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from app.capture.activations import activation_views
from app.capture.export import rounded
from app.capture.heads import all_head_stats
from app.capture.positional import positional_view
from app.capture.rollout import rollout
from app.capture.trace import Trace
from app.transformer.probes import AttentionKind
from app.web.errors import ClientError
from app.web.schemas import (
    ActivationsOut,
    AttentionOut,
    HeadChoice,
    HeadStatsOut,
    NeuronOut,
    PositionalOut,
    RolloutOut,
    StepByStepOut,
    TokenOut,
)

AXES: dict[AttentionKind, tuple[str, str]] = {
    "encoder": ("query: source token", "key: source token"),
    "decoder": ("query: decoder position (predicts the next token)", "key: earlier decoder position"),
    "cross": ("query: decoder position (predicts the next token)", "key: source token"),
}


def check_layer(trace: Trace, kind: AttentionKind, layer: int) -> None:
    n = trace.n_layers[kind]
    if not 0 <= layer < n:
        raise ClientError(
            f"layer {layer} is out of range for {kind} attention (0..{n - 1})", code="bad_layer"
        )


def check_head(trace: Trace, head: HeadChoice) -> None:
    if head != "mean" and not 0 <= head < trace.n_heads:
        raise ClientError(f"head {head} is out of range (0..{trace.n_heads - 1} or 'mean')", code="bad_head")


def axis_tokens(trace: Trace, kind: AttentionKind) -> tuple[list[TokenOut], list[TokenOut]]:
    rows = trace.source if kind == "encoder" else trace.target
    cols = trace.target if kind == "decoder" else trace.source
    return TokenOut.row(rows), TokenOut.row(cols)


def head_matrix(trace: Trace, kind: AttentionKind, layer: int, head: HeadChoice) -> np.ndarray:
    """(rows, cols) weights of one head or the mean of the layer's heads."""
    check_layer(trace, kind, layer)
    check_head(trace, head)
    weights = trace.attention[kind].weights[layer]  # (H, rows, cols)
    return weights.mean(axis=0) if head == "mean" else weights[head]  # type: ignore[no-any-return]


def attention_payload(trace: Trace, kind: AttentionKind, layer: int, head: HeadChoice) -> AttentionOut:
    matrix = head_matrix(trace, kind, layer, head)
    rows, cols = axis_tokens(trace, kind)
    row_axis, col_axis = AXES[kind]
    return AttentionOut(
        kind=kind,
        layer=layer,
        head=head,
        rows=rows,
        cols=cols,
        row_axis=row_axis,
        col_axis=col_axis,
        weights=rounded(matrix),
    )


def heads_payload(trace: Trace) -> list[HeadStatsOut]:
    return [
        HeadStatsOut.model_validate(
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(s).items()}
        )
        for s in all_head_stats(trace)
    ]


def rollout_payload(trace: Trace) -> RolloutOut:
    r = rollout(trace)
    return RolloutOut(
        source_tokens=TokenOut.row(trace.source),
        target_tokens=TokenOut.row(trace.target),
        encoder=rounded(r.encoder),
        decoder=rounded(r.decoder),
        decoder_to_source=rounded(r.decoder_to_source),
    )


def positional_payload(trace: Trace) -> PositionalOut:
    p = positional_view(trace)
    return PositionalOut(
        source_tokens=TokenOut.row(trace.source),
        target_tokens=TokenOut.row(trace.target),
        encodings=rounded(p.encodings),
        similarity=rounded(p.similarity),
        source_token_norm=rounded(p.source_token_norm),
        source_position_norm=rounded(p.source_position_norm),
        target_token_norm=rounded(p.target_token_norm),
        target_position_norm=rounded(p.target_position_norm),
    )


def activations_payload(trace: Trace, stack: str, ffn_layer: int) -> ActivationsOut:
    view = activation_views(trace)["decoder" if stack == "decoder" else "encoder"]
    n_layers = view.ffn_hidden.shape[0]
    if not 0 <= ffn_layer < n_layers:
        raise ClientError(f"ffn_layer {ffn_layer} is out of range (0..{n_layers - 1})", code="bad_layer")
    return ActivationsOut(
        stack=view.stack,
        tokens=TokenOut.row(trace.source if view.stack == "encoder" else trace.target),
        sites=view.sites,
        residual_norms=rounded(view.residual_norms, 3),
        layer_similarity=rounded(view.layer_similarity),
        ffn_sparsity=rounded(view.ffn_sparsity),
        ffn_token_sparsity=rounded(view.ffn_token_sparsity),
        ffn_layer=ffn_layer,
        ffn_hidden=rounded(view.ffn_hidden[ffn_layer], 3),
        top_neurons=[[NeuronOut(**vars(n)) for n in layer] for layer in view.top_neurons],
    )


def step_payload(trace: Trace, kind: AttentionKind, layer: int, head: int, query: int) -> StepByStepOut:
    """The four steps of scaled dot-product attention for one query row, with the recorded numbers."""
    check_layer(trace, kind, layer)
    check_head(trace, head)
    t = trace.attention[kind]
    n_rows = t.weights.shape[2]
    if not 0 <= query < n_rows:
        raise ClientError(f"query {query} is out of range (0..{n_rows - 1})", code="bad_query")
    q = t.q[layer, head, query]  # (d_k,)
    k = t.k[layer, head]  # (C, d_k)
    rows, cols = axis_tokens(trace, kind)
    d_k = int(q.shape[0])
    return StepByStepOut(
        kind=kind,
        layer=layer,
        head=head,
        query=query,
        query_token=rows[query],
        keys=cols,
        d_k=d_k,
        q=rounded(q),
        k=rounded(k),
        v=rounded(t.v[layer, head]),
        dot=rounded(k @ q),
        scaled=rounded(t.scores[layer, head, query]),  # what the model computed: (k @ q) / √d_k
        allowed=t.mask[query].tolist(),
        weights=rounded(t.weights[layer, head, query]),
        output=rounded(t.context[layer, head, query]),
    )


def sqrt_dk(trace: Trace) -> float:
    return math.sqrt(trace.d_model // trace.n_heads)


def cross_row(trace: Trace, layer: int, head: HeadChoice, step: int) -> np.ndarray:
    """(S,) cross-attention of decoder position `step` over the source: one head or the mean."""
    row = trace.attention["cross"].weights[layer, :, step]  # (H, S)
    return row.mean(axis=0) if head == "mean" else row[head]  # type: ignore[no-any-return]
