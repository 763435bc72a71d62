"""Server settings from the environment (prefix ATTNSCOPE_), read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATTNSCOPE_", extra="ignore")

    models_dir: Path = PROJECT_ROOT / "models"
    default_model: str = "tatoeba-en-fr"
    # Extra model folders to load at start-up, by name under models_dir.
    extra_models: list[str] = Field(default_factory=list)
    device: str = "auto"
    max_chars: int = Field(default=1000, ge=1)
    max_tokens: int = Field(default=128, ge=2)
    max_beam: int = Field(default=8, ge=1)
    cache_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    max_concurrency: int = Field(default=2, ge=1)
    static_dir: Path = PROJECT_ROOT / "static"
    templates_dir: Path = PROJECT_ROOT / "templates"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"


@lru_cache
def get_settings() -> Settings:
    return Settings()
