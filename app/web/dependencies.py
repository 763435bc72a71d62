"""FastAPI dependencies as `Annotated` aliases, so routes read as plain signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.capture.trace import Trace
from app.web.schemas import ActivationQuery, AttentionQuery, ExportQuery, StepQuery, TraceQuery
from app.web.service import ModelService, TraceRequest


def get_service(request: Request) -> ModelService:
    service: ModelService = request.app.state.service
    return service


Service = Annotated[ModelService, Depends(get_service)]


def to_request(query: TraceQuery) -> TraceRequest:
    return TraceRequest(query.text, query.model, query.beam_size, query.max_length)


async def trace_of(query: Annotated[TraceQuery, Query()], service: Service) -> Trace:
    return await service.trace(to_request(query))


TraceFromQuery = Annotated[Trace, Depends(trace_of)]
AttentionParams = Annotated[AttentionQuery, Query()]
StepParams = Annotated[StepQuery, Query()]
ActivationParams = Annotated[ActivationQuery, Query()]
ExportParams = Annotated[ExportQuery, Query()]
