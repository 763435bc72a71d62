"""The JSON API (documented at /docs). Each route: validate, call the service, shape the payload."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from app.capture.ablation import HeadRef, ablate
from app.capture.export import rounded, trace_to_dict, trace_to_npz
from app.transformer.probes import ATTENTION_KINDS
from app.web.dependencies import (
    ActivationParams,
    AttentionParams,
    ExportParams,
    Service,
    StepParams,
    TraceFromQuery,
    to_request,
)
from app.web.payloads import (
    activations_payload,
    attention_payload,
    check_head,
    check_layer,
    heads_payload,
    positional_payload,
    rollout_payload,
    step_payload,
)
from app.web.schemas import (
    AblationOut,
    AblationRequest,
    ActivationsOut,
    AnalyzeResponse,
    AttentionOut,
    ErrorOut,
    HeadRefIn,
    HeadStatsOut,
    Health,
    ModelInfo,
    PositionalOut,
    RolloutOut,
    StepByStepOut,
    TraceQuery,
    TraceSummary,
)

ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}

router = APIRouter()


@router.get("/healthz", response_model=Health, tags=["service"])
async def healthz(service: Service) -> Health:
    return Health(status="ok", model=service.default.name, device=str(service.default.device))


@router.get("/api/models", response_model=list[ModelInfo], tags=["service"])
async def models(service: Service) -> list[ModelInfo]:
    return [
        ModelInfo(
            name=m.name,
            d_model=m.config.d_model,
            n_heads=m.config.n_heads,
            n_encoder_layers=m.config.n_encoder_layers,
            n_decoder_layers=m.config.n_decoder_layers,
            d_ff=m.config.d_ff,
            vocab_size=m.config.vocab_size,
            parameters=m.model.num_parameters(),
            metrics={k: v for k, v in m.metrics.items() if k not in {"history", "options"}},
        )
        for m in service.models.values()
    ]


@router.post("/api/analyze", response_model=AnalyzeResponse, responses=ERRORS, tags=["trace"])
async def analyze(body: TraceQuery, service: Service) -> AnalyzeResponse:
    """Translate and return tokens, steps and every head's attention (large for long inputs)."""
    trace = await service.trace(to_request(body))
    attention = {kind: rounded(trace.attention[kind].weights) for kind in ATTENTION_KINDS}
    return AnalyzeResponse(**TraceSummary.of(trace), attention=attention)


@router.get("/api/summary", response_model=TraceSummary, responses=ERRORS, tags=["trace"])
async def summary(trace: TraceFromQuery) -> TraceSummary:
    """Translation, tokens and decoding steps, without attention: the small first request."""
    return TraceSummary(**TraceSummary.of(trace))


@router.get("/api/attention", response_model=AttentionOut, responses=ERRORS, tags=["views"])
async def attention(params: AttentionParams, service: Service) -> AttentionOut:
    """One head's matrix (or the layer's mean) with its row and column tokens."""
    trace = await service.trace(to_request(params))
    return attention_payload(trace, params.kind, params.layer, params.head)


@router.get("/api/heads", response_model=list[HeadStatsOut], responses=ERRORS, tags=["views"])
async def heads(trace: TraceFromQuery) -> list[HeadStatsOut]:
    """Entropy, distance, pattern shares and a label for every head, plus each layer's mean (head -1)."""
    return heads_payload(trace)


@router.get("/api/rollout", response_model=RolloutOut, responses=ERRORS, tags=["views"])
async def rollout(trace: TraceFromQuery) -> RolloutOut:
    return rollout_payload(trace)


@router.get("/api/positional", response_model=PositionalOut, responses=ERRORS, tags=["views"])
async def positional(trace: TraceFromQuery) -> PositionalOut:
    return positional_payload(trace)


@router.get("/api/activations", response_model=ActivationsOut, responses=ERRORS, tags=["views"])
async def activations(params: ActivationParams, service: Service) -> ActivationsOut:
    trace = await service.trace(to_request(params))
    return activations_payload(trace, params.stack, params.ffn_layer)


@router.get("/api/step", response_model=StepByStepOut, responses=ERRORS, tags=["views"])
async def step(params: StepParams, service: Service) -> StepByStepOut:
    """Q·Kᵀ, ÷√d_k, mask, softmax and ·V for one head and one query row."""
    trace = await service.trace(to_request(params))
    return step_payload(trace, params.kind, params.layer, params.head, params.query)


@router.post("/api/ablate", response_model=AblationOut, responses=ERRORS, tags=["views"])
async def ablation(body: AblationRequest, service: Service) -> AblationOut:
    """Silence the given heads, translate again, and compare."""
    request = to_request(body)
    trace = await service.trace(request)
    loaded = service.resolve(body.model)
    for ref in body.heads:
        check_layer(trace, ref.kind, ref.layer)
        check_head(trace, ref.head)
    refs = [HeadRef(h.kind, h.layer, h.head) for h in body.heads]
    result = await service.run(
        lambda: ablate(loaded, body.text, refs, body.beam_size, body.max_length, trace.output_ids)
    )
    return AblationOut(
        heads=[HeadRefIn(kind=h.kind, layer=h.layer, head=h.head) for h in result.heads],
        **{k: v for k, v in vars(result).items() if k != "heads"},
    )


def _filename(text: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "trace"
    return f"attnscope-{stem}.{extension}"


@router.get(
    "/api/export",
    responses={**ERRORS, 200: {"content": {"application/json": {}, "application/octet-stream": {}}}},
    tags=["export"],
)
async def export(params: ExportParams, service: Service) -> Response:
    """The whole trace: JSON (rounded) or NumPy `.npz` (full precision, `header` holds the JSON metadata)."""
    trace = await service.trace(to_request(params))
    if params.format == "npz":
        data = await service.run(lambda: trace_to_npz(trace))
        disposition = f'attachment; filename="{_filename(trace.text, "npz")}"'
        return Response(
            data, media_type="application/octet-stream", headers={"Content-Disposition": disposition}
        )
    body = await service.run(lambda: trace_to_dict(trace))
    disposition = f'attachment; filename="{_filename(trace.text, "json")}"'
    return JSONResponse(body, headers={"Content-Disposition": disposition})
