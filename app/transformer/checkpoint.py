"""Saving and loading a model folder: config.json, model.safetensors, tokenizer.json.

Weights are stored as safetensors (never pickle) in float16 to halve the file;
they are loaded back into float32 for inference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
METRICS_FILE = "metrics.json"


class ModelLoadError(Exception):
    """A model folder is missing, incomplete or corrupt; the message is one line for a person."""


@dataclass
class LoadedModel:
    name: str
    path: Path
    model: Transformer
    tokenizer: SubwordTokenizer
    device: torch.device
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> ModelConfig:
        return self.model.config


def pick_device(requested: str | None = None) -> torch.device:
    """`requested` ("cpu", "cuda", "cuda:1", "auto"/None) wins; otherwise CUDA when present."""
    if requested and requested != "auto":
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save_weights(model: Transformer, path: Path) -> None:
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata={"format": "pt", "dtype": "float16"})


def save_model(model: Transformer, tokenizer: SubwordTokenizer, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(model.config.to_json(), encoding="utf-8")
    save_weights(model, folder / WEIGHTS_FILE)
    tokenizer.save(folder / TOKENIZER_FILE)


def load_model(folder: Path, device: torch.device | None = None) -> LoadedModel:
    """Build the model from a folder, in eval mode on `device`; raises ModelLoadError on any fault."""
    device = device or pick_device()
    if not folder.is_dir():
        raise ModelLoadError(f"model folder not found: {folder}")
    for required in (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE):
        if not (folder / required).is_file():
            raise ModelLoadError(f"model folder {folder} has no {required}")
    try:
        config = ModelConfig.load(folder / CONFIG_FILE)
        tokenizer = SubwordTokenizer.load(folder / TOKENIZER_FILE)
        state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
        model = Transformer(config)
        model.load_state_dict(state, strict=True)
    except (ValueError, TypeError, KeyError, RuntimeError, SafetensorError, Exception) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(f"model folder {folder} is unreadable: {first_line}") from error
    if tokenizer.vocab_size != config.vocab_size:
        raise ModelLoadError(f"model folder {folder}: tokenizer and config disagree on vocab size")
    metrics: dict[str, Any] = {}
    if (folder / METRICS_FILE).is_file():
        try:
            found = json.loads((folder / METRICS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # unreadable, not UTF-8 or not JSON: scores are optional
            found = None
        metrics = found if isinstance(found, dict) else {}
    model.to(device).eval()
    return LoadedModel(folder.name, folder, model, tokenizer, device, metrics)
