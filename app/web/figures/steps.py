"""The step-by-step view of one query row, and the decoding replay."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.capture.trace import Step
from app.web.figures.common import base_layout, labels, to_json
from app.web.schemas import StepByStepOut


def step_figure(step: StepByStepOut) -> str:
    """Four aligned bar charts over the keys: Q·Kᵀ, ÷√d_k, after the mask, softmax."""
    keys = labels([t.text for t in step.keys])
    x = list(range(len(keys)))
    allowed = np.array(step.allowed)
    masked = [s if a else None for s, a in zip(step.scaled, step.allowed, strict=True)]
    panels = [
        ("① q · kⱼ (dot product)", step.dot, "#3b6ea5"),
        (f"② ÷ √d_k = ÷ {np.sqrt(step.d_k):.2f}", step.scaled, "#3b6ea5"),
        ("③ mask: hidden keys → −∞ (not drawn)", masked, "#7a5195"),
        ("④ softmax → attention weights", step.weights, "#2a9d8f"),
    ]
    fig = make_subplots(
        rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=[p[0] for p in panels]
    )
    for row, (name, values, colour) in enumerate(panels, start=1):
        fig.add_trace(
            go.Bar(
                x=x,
                y=values,
                customdata=keys,
                marker_color=[colour if a else "#c9c9c9" for a in allowed],
                name=name,
                hovertemplate="key <b>%{customdata}</b> (%{x})<br>%{y:.4f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_xaxes(tickmode="array", tickvals=x, ticktext=keys, tickangle=-45, row=4, col=1)
    fig.update_layout(
        base_layout(f"Query “{step.query_token.text}” against every key", 620, showlegend=False)
    )
    fig.update_annotations(font_size=12, x=0.01, xanchor="left")
    return to_json(fig)


def vectors_figure(step: StepByStepOut) -> str:
    """q, the keys K and values V of this head, and the output weights·V, as heatmaps over d_k."""
    keys = labels([t.text for t in step.keys])
    d = list(range(step.d_k))
    fig = make_subplots(
        rows=1,
        cols=4,
        horizontal_spacing=0.06,
        column_widths=[0.12, 0.38, 0.38, 0.12],
        subplot_titles=["q", "K (one row per key)", "V (one row per key)", "output = Σ wⱼ vⱼ"],
    )
    column = [[v] for v in step.q]
    fig.add_trace(
        go.Heatmap(z=column, coloraxis="coloraxis", hovertemplate="q[%{y}] = %{z:.3f}<extra></extra>"), 1, 1
    )
    for col, matrix, name in ((2, step.k, "K"), (3, step.v, "V")):
        fig.add_trace(
            go.Heatmap(
                z=np.array(matrix).T,
                x=list(range(len(keys))),
                y=d,
                coloraxis="coloraxis",
                customdata=[keys] * step.d_k,
                hovertemplate=f"{name} of <b>%{{customdata}}</b>, dim %{{y}}: %{{z:.3f}}<extra></extra>",
            ),
            1,
            col,
        )
    fig.add_trace(
        go.Heatmap(
            z=[[v] for v in step.output],
            coloraxis="coloraxis",
            hovertemplate="out[%{y}] = %{z:.3f}<extra></extra>",
        ),
        1,
        4,
    )
    for col in (2, 3):
        fig.update_xaxes(
            tickmode="array", tickvals=list(range(len(keys))), ticktext=keys, tickangle=-45, row=1, col=col
        )
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=4)
    fig.update_yaxes(title_text="dimension of the head (d_k)", row=1, col=1)
    bound = float(max(np.abs(np.array(step.k)).max(), np.abs(np.array(step.v)).max(), 1e-6))
    fig.update_layout(
        base_layout(
            "The vectors behind it (this head only)",
            420,
            coloraxis={"colorscale": "RdBu", "cmid": 0, "cmin": -bound, "cmax": bound},
        )
    )
    return to_json(fig)


def replay_figures(
    source_tokens: list[str], cross_row: np.ndarray, step: Step, layer_text: str
) -> tuple[str, str]:
    """At one decoding step: where the decoder looked in the source, and what it could have said."""
    keys = labels(source_tokens)
    bar = go.Figure(
        go.Bar(
            x=list(range(len(keys))),
            y=np.round(cross_row, 4),
            customdata=keys,
            marker_color="#3b6ea5",
            hovertemplate="<b>%{customdata}</b>: %{y:.4f}<extra></extra>",
        )
    )
    bar.update_layout(
        base_layout(
            f"Cross-attention over the source ({layer_text})",
            320,
            yaxis={"title": {"text": "weight"}, "rangemode": "tozero"},
            xaxis={"tickmode": "array", "tickvals": list(range(len(keys))), "ticktext": keys},
        )
    )
    alts = list(reversed(step.top))
    top = go.Figure(
        go.Bar(
            x=[a.probability for a in alts],
            y=list(range(len(alts))),
            orientation="h",
            customdata=labels([a.token for a in alts]),
            marker_color=["#e76f51" if a.token_id == step.token_id else "#8ab17d" for a in alts],
            hovertemplate="<b>%{customdata}</b>: p = %{x:.4f}<extra></extra>",
        )
    )
    top.update_layout(
        base_layout(
            "Top-5 next tokens (chosen in orange)",
            320,
            xaxis={"title": {"text": "probability"}, "range": [0, 1]},
            yaxis={
                "tickmode": "array",
                "tickvals": list(range(len(alts))),
                "ticktext": labels([a.token for a in alts]),
            },
        )
    )
    return to_json(bar), to_json(top)
