"""Whole-trace export: a JSON-ready dict and a NumPy `.npz` archive, with the same names."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from app.capture.trace import Trace


def rounded(array: np.ndarray, decimals: int = 4) -> Any:
    """Plain nested lists of floats (or bools) for JSON."""
    if array.dtype == np.bool_:
        return array.tolist()
    return np.round(array.astype(np.float64), decimals).tolist()


def trace_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """Every array in the trace under a stable dotted name, e.g. `attention.cross.weights`."""
    arrays: dict[str, np.ndarray] = {}
    for kind, tensors in trace.attention.items():
        for part in ("weights", "scores", "mask", "q", "k", "v", "context"):
            arrays[f"attention.{kind}.{part}"] = getattr(tensors, part)
    for stack_name, stack in (("encoder", trace.encoder), ("decoder", trace.decoder)):
        arrays[f"{stack_name}.token_embedding"] = stack.token_embedding
        arrays[f"{stack_name}.positional"] = stack.positional
        arrays[f"{stack_name}.ffn_hidden"] = stack.ffn_hidden
        for site, value in stack.residual.items():
            arrays[f"{stack_name}.residual.{site}"] = value
        for site, value in stack.ln_in.items():
            arrays[f"{stack_name}.ln_in.{site}"] = value
    arrays["source.ids"] = np.array(trace.source.ids, dtype=np.int64)
    arrays["target.ids"] = np.array(trace.target.ids, dtype=np.int64)
    return arrays


def trace_header(trace: Trace) -> dict[str, Any]:
    """Everything that is not an array: text, tokens, steps, sizes."""
    return {
        "model": trace.model,
        "text": trace.text,
        "translation": trace.translation,
        "beam_size": trace.beam_size,
        "finished": trace.finished,
        "source": asdict(trace.source),
        "target": asdict(trace.target),
        "steps": [asdict(s) for s in trace.steps],
        "d_model": trace.d_model,
        "n_heads": trace.n_heads,
    }


def trace_to_dict(trace: Trace, decimals: int = 4) -> dict[str, Any]:
    return {
        **trace_header(trace),
        "arrays": {k: rounded(v, decimals) for k, v in trace_arrays(trace).items()},
    }


def trace_to_npz(trace: Trace) -> bytes:
    """Arrays at full precision plus `header` (the JSON header as a 0-d string array)."""
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {"header": np.array(json.dumps(trace_header(trace))), **trace_arrays(trace)}
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
