"""Resumable training state: weights and Adam moments in safetensors, counters in JSON (no pickle)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from app.transformer.model import Transformer

STATE_DIR = "checkpoint"
TENSORS_FILE = "state.safetensors"
COUNTERS_FILE = "state.json"


@dataclass
class Progress:
    epoch: int = 0  # epochs completed
    step: int = 0  # optimizer steps taken
    seconds: float = 0.0  # training wall time so far
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: train/dev loss


def save_state(folder: Path, model: Transformer, optimizer: torch.optim.Adam, progress: Progress) -> None:
    """Write atomically-enough: tensors then counters, each to a temp name then renamed."""
    state_dir = folder / STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {
        f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()
    }
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())
    for name, param in zip(names, params, strict=True):
        slot = optimizer.state.get(param)
        if slot:
            tensors[f"adam.{name}.exp_avg"] = slot["exp_avg"].detach().cpu().contiguous()
            tensors[f"adam.{name}.exp_avg_sq"] = slot["exp_avg_sq"].detach().cpu().contiguous()
            tensors[f"adam.{name}.step"] = torch.as_tensor(slot["step"]).detach().cpu().reshape(1)
    tensors["rng.torch"] = torch.get_rng_state()
    tmp = state_dir / (TENSORS_FILE + ".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(state_dir / TENSORS_FILE)
    tmp_json = state_dir / (COUNTERS_FILE + ".tmp")
    tmp_json.write_text(json.dumps(asdict(progress), indent=2), encoding="utf-8")
    tmp_json.replace(state_dir / COUNTERS_FILE)


def has_state(folder: Path) -> bool:
    return (folder / STATE_DIR / TENSORS_FILE).is_file() and (folder / STATE_DIR / COUNTERS_FILE).is_file()


def load_state(folder: Path, model: Transformer, optimizer: torch.optim.Adam) -> Progress:
    state_dir = folder / STATE_DIR
    tensors = load_file(str(state_dir / TENSORS_FILE))
    device = next(model.parameters()).device
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    for name, param in model.named_parameters():
        if f"adam.{name}.exp_avg" in tensors:
            optimizer.state[param] = {
                "exp_avg": tensors[f"adam.{name}.exp_avg"].to(device),
                "exp_avg_sq": tensors[f"adam.{name}.exp_avg_sq"].to(device),
                "step": tensors[f"adam.{name}.step"].reshape(()).float(),
            }
    torch.set_rng_state(tensors["rng.torch"])
    counters: dict[str, Any] = json.loads((state_dir / COUNTERS_FILE).read_text(encoding="utf-8"))
    return Progress(**counters)
