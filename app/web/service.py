"""The model service: loaded models, input validation, the trace cache and bounded concurrency.

Stateless by design: every call names its text and options, the cache only saves
recomputation, so any worker can answer any request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread

from app.capture.cache import TraceCache
from app.capture.run import capture_trace
from app.capture.trace import Trace
from app.transformer.checkpoint import LoadedModel
from app.web.errors import ClientError
from app.web.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class TraceRequest:
    text: str
    model: str | None = None
    beam_size: int = 1
    max_length: int | None = None


class ModelService:
    def __init__(self, settings: Settings, models: dict[str, LoadedModel]) -> None:
        if settings.default_model not in models:
            raise ValueError(f"default model {settings.default_model!r} is not loaded")
        self.settings = settings
        self.models = models
        self.cache = TraceCache(settings.cache_bytes)
        self._limiter = anyio.CapacityLimiter(settings.max_concurrency)

    @property
    def default(self) -> LoadedModel:
        return self.models[self.settings.default_model]

    def resolve(self, name: str | None) -> LoadedModel:
        if not name:
            return self.default
        if name not in self.models:
            known = ", ".join(sorted(self.models))
            raise ClientError(f"unknown model {name!r}; available: {known}", 404, "unknown_model")
        return self.models[name]

    def validate(self, request: TraceRequest) -> LoadedModel:
        """Raise ClientError for anything the model should not be asked to do."""
        loaded = self.resolve(request.model)
        s = self.settings
        if not request.text.strip():
            raise ClientError("text is empty: type a sentence to translate", code="empty_text")
        if len(request.text) > s.max_chars:
            raise ClientError(
                f"text is {len(request.text)} characters; the limit is {s.max_chars}", code="text_too_long"
            )
        n_tokens = len(loaded.tokenizer.encode(request.text).ids) + 1
        if n_tokens > min(s.max_tokens, loaded.config.max_len):
            raise ClientError(
                f"text is {n_tokens} tokens; the limit is {min(s.max_tokens, loaded.config.max_len)}",
                code="text_too_long",
            )
        if not 1 <= request.beam_size <= s.max_beam:
            raise ClientError(f"beam_size must be between 1 and {s.max_beam}", code="invalid_beam")
        if request.max_length is not None and not 1 <= request.max_length < loaded.config.max_len:
            raise ClientError(
                f"max_length must be between 1 and {loaded.config.max_len - 1}", code="invalid_max_length"
            )
        return loaded

    async def run(self, func: Callable[[], T]) -> T:
        """Run model work off the event loop, at most `max_concurrency` at a time."""
        return await anyio.to_thread.run_sync(func, limiter=self._limiter)

    async def trace(self, request: TraceRequest) -> Trace:
        loaded = self.validate(request)
        key = (loaded.name, request.text, request.beam_size, request.max_length)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        trace = await self.run(
            lambda: capture_trace(loaded, request.text, request.beam_size, request.max_length)
        )
        self.cache.put(key, trace)
        return trace
