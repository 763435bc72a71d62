"""Shared figure pieces: label escaping, heatmap traces, sizes, serialisation."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

# Colour-blind-safe scales: sequential for weights, diverging for differences.
SEQUENTIAL = "Viridis"
DIVERGING = "RdBu"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def label(token: str) -> str:
    """A token as plotly should draw it: HTML-escaped, never interpreted as markup."""
    return html.escape(token, quote=True)


def labels(tokens: Sequence[str]) -> list[str]:
    return [label(t) for t in tokens]


def tick_font_size(n: int) -> int:
    return 12 if n <= 24 else 10 if n <= 48 else 8 if n <= 80 else 6


def axis(tokens: Sequence[str], title: str, reverse: bool = False) -> dict[str, Any]:
    n = len(tokens)
    return {
        "title": {"text": title, "font": {"size": 12}},
        "tickmode": "array",
        "tickvals": list(range(n)),
        "ticktext": labels(tokens),
        "tickfont": {"size": tick_font_size(n)},
        "autorange": "reversed" if reverse else True,
        "showgrid": False,
        "zeroline": False,
        "constrain": "domain",
        "title_standoff": 6,
    }


def base_layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": {
            "text": label(title),
            "font": {"size": 14},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.995,
            "yanchor": "top",
            "yref": "container",
        },
        "height": height,
        "margin": {"l": 90, "r": 30, "t": 50, "b": 80},
        "font": {"family": FONT},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        **extra,
    }


def heatmap_height(rows: int, minimum: int = 320, maximum: int = 860) -> int:
    """Room for the top axis labels and titles plus ~24 px a row."""
    return int(min(maximum, max(minimum, 230 + 24 * rows)))


def weight_heatmap(
    z: np.ndarray,
    row_tokens: Sequence[str],
    col_tokens: Sequence[str],
    row_title: str,
    col_title: str,
    zmax: float | None = None,
    colorscale: str = SEQUENTIAL,
    zmid: float | None = None,
    value_name: str = "weight",
    decimals: int = 4,
    allowed: np.ndarray | None = None,
) -> go.Heatmap:
    """A heatmap whose hover names both tokens and the exact value (customdata = [row, col] labels).

    Cells where `allowed` is False (masked future positions) are left empty, so the figure
    shows "not allowed to look" rather than "looked with weight 0".
    """
    rows, cols = labels(row_tokens), labels(col_tokens)
    custom = [[[r, c] for c in cols] for r in rows]
    values: Any = np.round(z, decimals)
    if allowed is not None:
        values = [
            [v if ok else None for v, ok in zip(row, keep, strict=True)]
            for row, keep in zip(values.tolist(), allowed.tolist(), strict=True)
        ]
    return go.Heatmap(
        z=values,
        hoverongaps=False,
        x=list(range(len(cols))),
        y=list(range(len(rows))),
        customdata=custom,
        colorscale=colorscale,
        zmin=None if zmid is not None else 0.0,
        zmax=zmax,
        zmid=zmid,
        colorbar={"title": {"text": value_name, "side": "right"}, "thickness": 12},
        hovertemplate=(
            f"{label(row_title)}: <b>%{{customdata[0]}}</b> (%{{y}})<br>"
            f"{label(col_title)}: <b>%{{customdata[1]}}</b> (%{{x}})<br>"
            f"{value_name}: <b>%{{z:.{decimals}f}}</b><extra></extra>"
        ),
    )


def _plain(value: Any) -> Any:
    """NumPy arrays -> nested lists (readable, smaller than base64 float64 at 4 decimals)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        # plotly stores NumPy arrays as base64 typed arrays; turn them back into lists
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_json(figure: go.Figure) -> str:
    """Compact JSON for a `data-figure` attribute (Jinja escapes it for the attribute).

    The default plotly template is dropped: it would add ~8 KB to every figure.
    """
    spec = figure.to_plotly_json()
    spec["layout"].pop("template", None)
    return json.dumps(_plain(spec), separators=(",", ":"), allow_nan=False)
