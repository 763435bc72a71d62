"""HTML pages: `/` renders the whole page, or with htmx only the region named by HX-Target.

One URL scheme for both, so every pushed URL reloads the same view. `/view.json`
returns the numbers behind the current view.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from app.capture.trace import Trace
from app.web.dependencies import Service
from app.web.errors import ClientError
from app.web.service import ModelService, TraceRequest
from app.web.state import BEAM_CHOICES, VIEWS, PageState
from app.web.view_numbers import view_numbers
from app.web.views import (
    EXPLAIN,
    ablation_context,
    activations_context,
    compare_context,
    explorer_context,
    heads_context,
    model_context,
    positional_context,
    replay_context,
    step_context,
)

router = APIRouter(include_in_schema=False)

# HX-Target -> the partial that renders exactly that region.
PARTIALS = {
    "workspace": "partials/workspace.html",
    "view": "partials/view.html",
    "heatmap": "partials/heatmap.html",
    "replay-panel": "partials/replay_panel.html",
}
EXAMPLES = [
    "I am cold.",
    "Where is the station?",
    "She reads a book.",
    "The children are playing in the garden.",
    "We will leave tomorrow morning.",
]


async def view_context(trace: Trace, state: PageState, service: ModelService) -> dict[str, Any]:
    sync = {
        "explorer": explorer_context,
        "model": model_context,
        "step": step_context,
        "replay": replay_context,
        "positional": positional_context,
        "activations": activations_context,
        "heads": heads_context,
    }
    if state.view in sync:
        return await service.run(lambda: sync[state.view](trace, state))
    if state.view == "compare":
        return await compare_context(trace, state, service)
    return await ablation_context(trace, state, service)


async def page_context(state: PageState, service: ModelService) -> dict[str, Any]:
    loaded = service.default
    context: dict[str, Any] = {
        "state": state,
        "views": VIEWS,
        "explain": EXPLAIN,
        "examples": EXAMPLES,
        "beam_choices": [b for b in BEAM_CHOICES if b <= service.settings.max_beam],
        "model": loaded,
        "settings": service.settings,
        "trace": None,
        "error": None,
        "view_error": None,
        "view": {},
    }
    if not state.text:
        return context
    try:
        trace = await service.trace(TraceRequest(state.text, beam_size=state.beam))
    except ClientError as error:
        context["error"] = error.message
        return context
    state = state.fit(trace)
    context.update(state=state, trace=trace)
    try:
        context["view"] = await view_context(trace, state, service)
    except ClientError as error:
        context["view_error"] = error.message
    return context


def _state(request: Request) -> PageState:
    return PageState.parse(request.query_params, request.query_params.getlist("ablate"))


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, service: Service) -> HTMLResponse:
    headers = request.headers
    partial = headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    template = PARTIALS.get(headers.get("HX-Target", ""), "index.html") if partial else "index.html"
    templates: Jinja2Templates = request.app.state.templates
    context = await page_context(_state(request), service)
    if context["trace"] is None and template != "index.html":
        template = PARTIALS["workspace"]  # no trace: every region shows the message instead
    response = templates.TemplateResponse(request, template, {**context, "partial": partial})
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


@router.get("/view.json")
async def view_json(request: Request, service: Service) -> JSONResponse:
    """The numbers behind the current view (same URL parameters as the page)."""
    state = _state(request)
    trace = await service.trace(TraceRequest(state.text, beam_size=state.beam))
    state = state.fit(trace)
    numbers = await view_numbers(trace, state, service)
    body = {"view": state.view, "url": state.url(), "text": trace.text, "translation": trace.translation}
    return JSONResponse({**body, "data": numbers})
