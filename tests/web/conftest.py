"""API clients over the tiny in-memory models, and the fitted one saved to a temporary folder.

Clients are session-scoped and entered as context managers so the app's lifespan runs
(that is where the service and its cache are made), exactly as under uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.transformer.checkpoint import LoadedModel, save_model
from app.web.main import create_app
from app.web.settings import Settings

CACHE_BYTES = 64 * 1024 * 1024
# Small enough that every request stays fast on a busy two-core machine.
MAX_LENGTH = 8
TEXT = "I like the red apple."


def settings_for(default_model: str, **overrides: Any) -> Settings:
    """Settings with every limit the tests rely on spelled out, so ATTNSCOPE_* variables cannot
    change them; `overrides` replace fields."""
    limits = {"max_chars": 1000, "max_tokens": 128, "max_beam": 8, "max_concurrency": 2, "device": "cpu"}
    return Settings(**{**limits, "default_model": default_model, "cache_bytes": CACHE_BYTES, **overrides})


def make_client(models: dict[str, LoadedModel], **overrides: Any) -> TestClient:
    """A client whose default model is the first one given."""
    return TestClient(create_app(settings_for(next(iter(models)), **overrides), models))


@pytest.fixture(scope="session")
def client(tiny: LoadedModel, tiny_trained: LoadedModel) -> Iterator[TestClient]:
    """Serves "tiny" (default, untrained) and "tiny-trained"; a 500 raises in the test."""
    with make_client({"tiny": tiny, "tiny-trained": tiny_trained}) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def strict_client(tiny: LoadedModel) -> Iterator[TestClient]:
    """Low input limits, to reach the too-long errors with short texts."""
    with make_client({"tiny": tiny}, max_tokens=6, max_chars=40) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def saved_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_trained: LoadedModel) -> Path:
    """The fitted tiny model written as a model folder, for the command line."""
    folder = tmp_path_factory.mktemp("models") / "tiny-saved"
    save_model(tiny_trained.model, tiny_trained.tokenizer, folder)
    return folder
