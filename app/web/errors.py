"""Every error a client can cause becomes a 4xx JSON body `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("attnscope")


class ClientError(Exception):
    """Bad input in a well-formed request (empty text, unknown model, head out of range...)."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid_input") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _describe(error: RequestValidationError) -> str:
    """The first problem, as one readable line: `layer: Input should be a valid integer`."""
    by_field: dict[str, list[str]] = {}
    for item in error.errors():
        if item.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query")]
        # A union field (head: int | "mean") reports one error per branch; show them as one.
        where = loc[0] if loc else ""
        if len(loc) > 1 and not loc[1].isdigit() and loc[1] not in ("kind", "layer", "head"):
            loc = loc[:1]
        where = ".".join(loc) or where
        by_field.setdefault(where, []).append(str(item.get("msg", "invalid value")))
    parts = [
        f"{field}: {' or '.join(msgs)}" if field else " or ".join(msgs) for field, msgs in by_field.items()
    ]
    return "; ".join(parts[:3]) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClientError)
    async def client_error(_: Request, exc: ClientError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _describe(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body("http_error", str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body("internal", "internal error; see the server log"), status_code=500)
