"""The numbers behind each page view, as JSON-ready data (the page's "download JSON" link)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.capture.ablation import ablate
from app.capture.export import rounded
from app.capture.trace import Trace
from app.transformer.probes import ATTENTION_KINDS
from app.web.payloads import (
    activations_payload,
    attention_payload,
    cross_row,
    heads_payload,
    positional_payload,
    rollout_payload,
    step_payload,
)
from app.web.schemas import TokenOut
from app.web.service import ModelService, TraceRequest
from app.web.state import PageState
from app.web.views import parse_heads


async def view_numbers(trace: Trace, state: PageState, service: ModelService) -> dict[str, Any]:
    view = state.view
    if view == "explorer":
        return attention_payload(trace, state.kind, state.layer, state.head).model_dump(mode="json")
    if view == "model":
        rows = TokenOut.row(trace.source if state.kind == "encoder" else trace.target)
        cols = TokenOut.row(trace.target if state.kind == "decoder" else trace.source)
        return {
            "kind": state.kind,
            "rows": [t.model_dump() for t in rows],
            "cols": [t.model_dump() for t in cols],
            "weights": rounded(trace.attention[state.kind].weights),  # [layer][head][row][col]
        }
    if view == "compare":
        layer = min(state.layer, min(trace.n_layers.values()) - 1)
        out: dict[str, Any] = {
            kind: attention_payload(trace, kind, layer, state.head).model_dump(mode="json")
            for kind in ATTENTION_KINDS
        }
        if state.text2.strip():
            other = await service.trace(TraceRequest(state.text2, trace.model, trace.beam_size))
            out["second_sentence"] = attention_payload(other, state.kind, state.layer, state.head).model_dump(
                mode="json"
            )
        return out
    if view == "step":
        return step_payload(trace, state.kind, state.layer, state.head_index, state.query).model_dump(
            mode="json"
        )
    if view == "replay":
        row = cross_row(trace, state.layer, state.head, state.step)
        return {
            "step": asdict(trace.steps[state.step]),
            "layer": state.layer,
            "head": state.head,
            "source_tokens": trace.source.display,
            "cross_attention": rounded(row),
        }
    if view == "positional":
        return positional_payload(trace).model_dump(mode="json")
    if view == "activations":
        return activations_payload(trace, state.stack, state.ffn_layer).model_dump(mode="json")
    if view == "heads":
        return {
            "heads": [h.model_dump() for h in heads_payload(trace)],
            "rollout": rollout_payload(trace).model_dump(mode="json"),
        }
    refs = parse_heads(trace, state.ablate)
    if not refs:
        return {"heads": [], "result": None}
    loaded = service.resolve(trace.model)
    result = await service.run(
        lambda: ablate(loaded, trace.text, refs, trace.beam_size, original=trace.output_ids)
    )
    return asdict(result)
