"""`attnscope train` end to end on a generated corpus: every artifact, resuming, and clean failures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.cli import main
from app.transformer.checkpoint import load_model
from tests.helpers import TrainedRun

TINY = ["--d-model", "32", "--heads", "4", "--layers", "1", "--d-ff", "64", "--vocab-size", "200"]
TINY += ["--no-progress", "--device", "cpu"]
REQUIRED_METRICS = {
    "dev_bleu",
    "dev_chrf",
    "dev_loss",
    "parameters",
    "epochs",
    "training_seconds",
    "data_sha256",
}


def _metrics(folder: Path) -> dict[str, object]:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _one_line(text: str) -> bool:
    return text.endswith("\n") and text.count("\n") == 1 and "Traceback" not in text


def test_training_writes_every_artifact(trained_run: TrainedRun, trained_model_dir: Path) -> None:
    assert trained_run.exit_code == 0, trained_run.stderr
    folder = trained_model_dir
    for name in ("config.json", "model.safetensors", "tokenizer.json", "metrics.json", "README.md"):
        assert (folder / name).is_file(), name
    assert (folder / "checkpoint" / "state.safetensors").is_file()
    assert "Traceback" not in trained_run.stderr


def test_metrics_describe_the_run(trained_run: TrainedRun, trained_model_dir: Path) -> None:
    metrics = _metrics(trained_model_dir)
    missing = REQUIRED_METRICS - set(metrics)
    assert not missing, missing
    assert metrics["data_sha256"] == hashlib.sha256(trained_run.data.read_bytes()).hexdigest()
    assert metrics["epochs"] == 1
    assert isinstance(metrics["history"], list) and len(metrics["history"]) == 1
    assert isinstance(metrics["dev_bleu"], float | int) and 0 <= metrics["dev_bleu"] <= 100
    assert isinstance(metrics["dev_loss"], float) and metrics["dev_loss"] > 0
    loaded = load_model(trained_model_dir, torch.device("cpu"))
    assert metrics["parameters"] == loaded.model.num_parameters()
    assert loaded.config.d_model == 32 and loaded.config.n_encoder_layers == 1 and loaded.config.d_ff == 64
    assert loaded.tokenizer.vocab_size <= 200


def test_model_card_carries_the_attribution_and_limits(trained_model_dir: Path) -> None:
    card = (trained_model_dir / "README.md").read_text(encoding="utf-8")
    assert "Tatoeba" in card
    assert "CC-BY 2.0 FR" in card
    assert "9 words" in card
    assert trained_model_dir.name in card


def test_resume_continues_from_the_saved_epoch(
    trained_run: TrainedRun, trained_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / trained_model_dir.name
    shutil.copytree(trained_model_dir, folder)  # the shared folder stays at one epoch
    first = _metrics(folder)
    weights_after_first = load_file(str(folder / "model.safetensors"))
    places = ["--data", str(trained_run.data), "--out", str(folder)]
    assert main(["train", *places, "--epochs", "2", "--resume", *TINY]) == 0
    assert "resuming after epoch 1" in capsys.readouterr().err
    second = _metrics(folder)
    assert second["epochs"] == 2
    history = second["history"]
    assert isinstance(history, list) and len(history) == 2
    assert history[0] == first["history"][0]  # type: ignore[index]
    assert int(second["steps"]) == 2 * int(first["steps"])  # type: ignore[call-overload]
    weights_after_second = load_file(str(folder / "model.safetensors"))
    assert any(not weights_after_second[k].equal(v) for k, v in weights_after_first.items())


def test_missing_data_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    code = main(["train", "--data", str(tmp_path / "missing.tsv"), "--out", str(out), *TINY])
    captured = capsys.readouterr()
    assert code == 2
    assert _one_line(captured.err) and "missing.tsv" in captured.err
    assert captured.err.startswith("attnscope: ")
    assert not out.exists()


def test_malformed_data_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bad.tsv"
    data.write_text("Hi.\tSalut.\nno tab here\n", encoding="utf-8")
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "out"), *TINY])
    captured = capsys.readouterr()
    assert code == 2
    assert _one_line(captured.err) and ":2:" in captured.err
