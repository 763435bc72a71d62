"""Positional encodings, activations and rollout figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.web.figures.common import (
    DIVERGING,
    axis,
    base_layout,
    heatmap_height,
    labels,
    to_json,
    weight_heatmap,
)
from app.web.schemas import ActivationsOut, PositionalOut, RolloutOut


def positional_figures(p: PositionalOut) -> dict[str, str]:
    pe = np.array(p.encodings)  # (P, d)
    positions = [str(i) for i in range(pe.shape[0])]
    matrix = go.Figure(
        go.Heatmap(
            z=pe,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-1,
            zmax=1,
            colorbar={"thickness": 12},
            hovertemplate="position %{y}, dimension %{x}: %{z:.3f}<extra></extra>",
        )
    )
    matrix.update_layout(
        base_layout(
            "PE matrix: position × dimension (sin on even, cos on odd dimensions)",
            heatmap_height(pe.shape[0], 300, 560),
            xaxis={"title": {"text": "dimension →"}},
            yaxis={"title": {"text": "position ↓"}, "autorange": "reversed"},
        )
    )
    sim = np.array(p.similarity)
    similarity = go.Figure(
        weight_heatmap(
            sim,
            positions,
            positions,
            "position",
            "position",
            colorscale=DIVERGING,
            zmid=0.0,
            value_name="cosine",
        )
    )
    similarity.update_traces(zmin=-1, zmax=1)
    similarity.update_layout(
        base_layout(
            "PE·PE similarity (cosine): nearby positions look alike",
            heatmap_height(len(positions), 300, 560),
            xaxis=axis(positions, "position"),
            yaxis=axis(positions, "position", True),
        )
    )
    src = labels([t.text for t in p.source_tokens])
    norms = go.Figure(
        [
            go.Bar(
                name="token embedding × √d_model",
                x=list(range(len(src))),
                y=p.source_token_norm,
                customdata=src,
                hovertemplate="<b>%{customdata}</b> embedding norm %{y:.2f}<extra></extra>",
            ),
            go.Bar(
                name="positional encoding",
                x=list(range(len(src))),
                y=p.source_position_norm,
                customdata=src,
                hovertemplate="<b>%{customdata}</b> PE norm %{y:.2f}<extra></extra>",
            ),
        ]
    )
    norms.update_layout(
        base_layout(
            "Source tokens: how big the embedding is next to the position signal",
            340,
            barmode="group",
            legend={"orientation": "h", "y": 1.12},
            xaxis={"tickmode": "array", "tickvals": list(range(len(src))), "ticktext": src},
            yaxis={"title": {"text": "L2 norm"}},
        )
    )
    return {"matrix": to_json(matrix), "similarity": to_json(similarity), "norms": to_json(norms)}


def activation_figures(a: ActivationsOut) -> dict[str, str]:
    tokens = [t.text for t in a.tokens]
    norms = np.array(a.residual_norms)  # (sites, L)
    residual = go.Figure(
        weight_heatmap(
            norms,
            a.sites,
            tokens,
            "after sub-layer",
            "token",
            zmax=float(norms.max()),
            value_name="‖x‖",
            decimals=2,
        )
    )
    residual.update_layout(
        base_layout(
            f"{a.stack.title()} residual stream: norm per token after each sub-layer",
            heatmap_height(len(a.sites), 260, 520),
            xaxis={**axis(tokens, "token →"), "tickangle": -45},
            yaxis=axis(a.sites, "sub-layer ↓", True),
        )
    )
    layers = [f"layer {i}" for i in range(len(a.layer_similarity))]
    sim = np.array(a.layer_similarity)
    similarity = go.Figure(
        weight_heatmap(sim, layers, tokens, "layer", "token", value_name="cosine", decimals=3)
    )
    similarity.update_traces(zmin=float(min(sim.min(), 0.99)), zmax=1.0)
    similarity.update_layout(
        base_layout(
            "How much each layer changes a token: cosine(input, output)",
            heatmap_height(len(layers), 240, 400),
            xaxis={**axis(tokens, "token →"), "tickangle": -45},
            yaxis=axis(layers, "layer ↓", True),
        )
    )
    hidden = np.array(a.ffn_hidden)  # (L, d_ff)
    ffn = go.Figure(
        go.Heatmap(
            z=hidden,
            colorscale="Viridis",
            zmin=0,
            colorbar={"title": {"text": "ReLU"}, "thickness": 12},
            customdata=[[t] * hidden.shape[1] for t in labels(tokens)],
            hovertemplate="<b>%{customdata}</b>, neuron %{x}: %{z:.3f}<extra></extra>",
        )
    )
    sparsity = a.ffn_sparsity[a.ffn_layer] * 100
    ffn.update_layout(
        base_layout(
            f"FFN hidden activations, layer {a.ffn_layer} ({sparsity:.0f}% exactly zero)",
            heatmap_height(len(tokens), 280, 640),
            xaxis={"title": {"text": "neuron →"}},
            yaxis=axis(tokens, "token ↓", True),
        )
    )
    return {"residual": to_json(residual), "similarity": to_json(similarity), "ffn": to_json(ffn)}


def _share_heatmap(matrix: np.ndarray, rows: list[str], cols: list[str], row_title: str, title: str) -> str:
    """A rollout matrix: how much of each row position is made of each source token."""
    fig = go.Figure(
        weight_heatmap(
            matrix, rows, cols, row_title, "source token", zmax=float(matrix.max()), value_name="share"
        )
    )
    fig.update_layout(
        base_layout(
            title,
            heatmap_height(len(rows), 300, 620),
            xaxis={**axis(cols, "source token →"), "side": "top", "tickangle": -45},
            yaxis=axis(rows, f"{row_title} ↓", True),
        )
    )
    fig.update_layout(margin={"t": 130})
    return to_json(fig)


def rollout_figures(r: RolloutOut) -> dict[str, str]:
    src = [t.text for t in r.source_tokens]
    tgt = [t.text for t in r.target_tokens]
    return {
        "encoder": _share_heatmap(
            np.array(r.encoder),
            src,
            src,
            "encoder output",
            "Encoder rollout: what each encoder output is made of",
        ),
        "decoder": _share_heatmap(
            np.array(r.decoder_to_source),
            tgt,
            src,
            "decoder position",
            "Decoder rollout into the source (through cross-attention)",
        ),
    }
