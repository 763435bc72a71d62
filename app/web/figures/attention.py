"""Attention figures: one head, the layers × heads grid, the three kinds side by side, two sentences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.capture.trace import Trace
from app.transformer.probes import AttentionKind
from app.web.figures.common import (
    DIVERGING,
    axis,
    base_layout,
    heatmap_height,
    label,
    labels,
    to_json,
    weight_heatmap,
)

KIND_TITLES: dict[AttentionKind, str] = {
    "encoder": "Encoder self-attention",
    "decoder": "Decoder masked self-attention",
    "cross": "Cross-attention (decoder → encoder)",
}
# Masked cells are left empty and show the plot background: a light grey, not a weight colour.
MASKED_COLOUR = "#dfe3ea"
SHORT_TITLES: dict[AttentionKind, str] = {
    "encoder": "Encoder self",
    "decoder": "Decoder masked self",
    "cross": "Cross",
}
# Short axis titles: queries are rows, keys are columns, in every attention figure.
AXIS_TITLES: dict[AttentionKind, tuple[str, str]] = {
    "encoder": ("query ↓ (source token)", "key → (source token)"),
    "decoder": ("query ↓ (decoder input)", "key → (decoder input)"),
    "cross": ("query ↓ (decoder input)", "key → (source token)"),
}


def kind_tokens(trace: Trace, kind: AttentionKind) -> tuple[list[str], list[str]]:
    rows = trace.source.display if kind == "encoder" else trace.target.display
    cols = trace.target.display if kind == "decoder" else trace.source.display
    return rows, cols


def head_name(layer: int, head: int | str) -> str:
    return f"layer {layer}, {'mean of heads' if head == 'mean' else f'head {head}'}"


def head_figure(trace: Trace, kind: AttentionKind, layer: int, head: int | str, matrix: np.ndarray) -> str:
    rows, cols = kind_tokens(trace, kind)
    row_title, col_title = AXIS_TITLES[kind]
    allowed = trace.attention[kind].mask
    fig = go.Figure(
        weight_heatmap(matrix, rows, cols, row_title, col_title, zmax=float(matrix.max()), allowed=allowed)
    )
    fig.update_layout(
        base_layout(
            f"{KIND_TITLES[kind]} · {head_name(layer, head)}",
            heatmap_height(len(rows)),
            xaxis={**axis(cols, col_title), "side": "top", "tickangle": -45},
            yaxis={**axis(rows, row_title, reverse=True), **square_cells(len(rows), len(cols))},
            meta={"kind": kind, "rowSide": side(kind, "row"), "colSide": side(kind, "col")},
        )
    )
    fig.update_layout(margin={"t": 130, "b": 20}, plot_bgcolor=MASKED_COLOUR)
    return to_json(fig)


def square_cells(rows: int, cols: int) -> dict[str, str]:
    """Square cells read best, but only while the matrix is small and not too lopsided;
    a long, thin matrix drawn square would shrink to a strip."""
    if max(rows, cols) <= 40 and 1 / 3 <= rows / cols <= 3:
        return {"scaleanchor": "x"}
    return {}


def side(kind: AttentionKind, which: str) -> str:
    """Which sentence a figure's rows or columns belong to: 'source' or 'target'."""
    if which == "row":
        return "source" if kind == "encoder" else "target"
    return "target" if kind == "decoder" else "source"


def grid_figure(trace: Trace, kind: AttentionKind) -> str:
    """Layers × heads small multiples of one kind; each cell's `meta` names its layer and head."""
    weights = trace.attention[kind].weights  # (layers, H, rows, cols)
    n_layers, n_heads = weights.shape[:2]
    fig = make_subplots(
        rows=n_layers,
        cols=n_heads,
        horizontal_spacing=0.012,
        vertical_spacing=0.04,
        subplot_titles=[f"L{layer} H{head}" for layer in range(n_layers) for head in range(n_heads)],
    )
    zmax = float(weights.max())
    for layer in range(n_layers):
        for head in range(n_heads):
            fig.add_trace(
                go.Heatmap(
                    z=np.round(weights[layer, head], 3),
                    coloraxis="coloraxis",
                    meta=[layer, head],
                    hovertemplate=(
                        "layer %{meta[0]}, head %{meta[1]}<br>query %{y} → key %{x}: "
                        "%{z:.3f}<br>click to open<extra></extra>"
                    ),
                ),
                row=layer + 1,
                col=head + 1,
            )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    fig.update_annotations(font_size=10)
    fig.update_layout(
        base_layout(
            f"{KIND_TITLES[kind]}: every layer and head (rows: layers, columns: heads)",
            170 * n_layers + 90,
            coloraxis={"colorscale": "Viridis", "cmin": 0.0, "cmax": zmax, "colorbar": {"thickness": 12}},
        )
    )
    fig.update_layout(margin={"l": 20, "r": 20, "t": 70, "b": 20})
    return to_json(fig)


def compare_figures(
    trace: Trace, layer: int, head: int | str, matrices: dict[AttentionKind, np.ndarray]
) -> dict[AttentionKind, str]:
    """The three kinds for one layer with one shared colour scale, linked on hover by app.js."""
    zmax = max(float(m.max()) for m in matrices.values())
    figures = {}
    for kind, matrix in matrices.items():
        rows, cols = kind_tokens(trace, kind)
        row_title, col_title = AXIS_TITLES[kind]
        allowed = trace.attention[kind].mask
        fig = go.Figure(weight_heatmap(matrix, rows, cols, row_title, col_title, zmax=zmax, allowed=allowed))
        fig.update_traces(showscale=kind == "cross")
        fig.update_layout(
            base_layout(
                f"{SHORT_TITLES[kind]} · {head_name(layer, head)}",
                heatmap_height(len(rows), 300, 620),
                xaxis={**axis(cols, col_title), "side": "top", "tickangle": -45},
                yaxis=axis(rows, row_title, reverse=True),
                meta={
                    "kind": kind,
                    "rowSide": side(kind, "row"),
                    "colSide": side(kind, "col"),
                    "linked": True,
                },
            )
        )
        fig.update_layout(margin={"l": 80, "r": 10, "t": 130, "b": 20}, plot_bgcolor=MASKED_COLOUR)
        figures[kind] = to_json(fig)
    return figures


def difference_figure(
    a: np.ndarray, b: np.ndarray, rows: Sequence[str], cols: Sequence[str], kind: AttentionKind, title: str
) -> str:
    """Cell-wise B − A when both sentences have the same token counts."""
    diff = b - a
    bound = max(float(np.abs(diff).max()), 1e-6)
    row_title, col_title = AXIS_TITLES[kind]
    fig = go.Figure(
        weight_heatmap(
            diff, rows, cols, row_title, col_title, colorscale=DIVERGING, zmid=0.0, value_name="B − A"
        )
    )
    fig.update_traces(zmin=-bound, zmax=bound)
    fig.update_layout(
        base_layout(
            title,
            heatmap_height(len(rows), 300, 620),
            xaxis={**axis(cols, col_title), "side": "top", "tickangle": -45},
            yaxis=axis(rows, row_title, reverse=True),
        )
    )
    fig.update_layout(margin={"l": 130, "r": 10, "t": 130, "b": 20})
    return to_json(fig)


def head_entropy_difference(a: np.ndarray, b: np.ndarray, kind: AttentionKind) -> str:
    """Per-head normalised entropy, B − A, as a layers × heads grid: works for any two lengths."""
    diff = b - a
    bound = max(float(np.abs(diff).max()), 1e-6)
    n_layers, n_heads = diff.shape
    fig = go.Figure(
        go.Heatmap(
            z=np.round(diff, 4),
            x=[f"H{h}" for h in range(n_heads)],
            y=[f"L{layer}" for layer in range(n_layers)],
            colorscale=DIVERGING,
            zmid=0.0,
            zmin=-bound,
            zmax=bound,
            colorbar={"title": {"text": "Δ entropy"}, "thickness": 12},
            hovertemplate="%{y} %{x}: Δ normalised entropy %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        base_layout(
            f"{KIND_TITLES[kind]}: how much more spread-out each head is on B than on A",
            120 + 60 * n_layers,
            yaxis={"autorange": "reversed"},
        )
    )
    return to_json(fig)


__all__ = ["compare_figures", "difference_figure", "grid_figure", "head_figure", "label", "labels"]
