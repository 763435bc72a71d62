"""`create_app()`: the FastAPI application, with models loaded once in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__
from app.transformer.checkpoint import LoadedModel, load_model, pick_device
from app.web.api import router as api_router
from app.web.assets import router as assets_router
from app.web.errors import install_error_handlers
from app.web.pages import router as pages_router
from app.web.service import ModelService
from app.web.settings import Settings, get_settings

log = logging.getLogger("attnscope")


def load_models(settings: Settings) -> dict[str, LoadedModel]:
    """The default model and any extras; raises ModelLoadError with a one-line message."""
    device = pick_device(settings.device)
    names = [settings.default_model, *[n for n in settings.extra_models if n != settings.default_model]]
    return {name: load_model(settings.models_dir / name, device) for name in names}


def create_app(settings: Settings | None = None, models: dict[str, LoadedModel] | None = None) -> FastAPI:
    """Pass `models` to serve already-loaded models (tests); otherwise they load at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = models if models is not None else load_models(settings)
        app.state.service = ModelService(settings, loaded)
        log.info("attnscope ready: %s", ", ".join(f"{m.name} on {m.device}" for m in loaded.values()))
        yield

    app = FastAPI(
        title="attnscope",
        version=__version__,
        description="Every attention head of a small encoder–decoder Transformer, as JSON.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=str(settings.templates_dir))
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(assets_router)
    app.mount("/static", StaticFiles(directory=str(settings.static_dir)), name="static")
    return app
