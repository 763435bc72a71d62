"""`attnscope analyze` prints what POST /api/analyze returns; failures are one line and exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli import main
from app.transformer.checkpoint import load_model
from tests.web.conftest import make_client

TEXT = "We need green tea."


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads ATTNSCOPE_* limits from the environment; these tests want the defaults."""
    for name in [n for n in os.environ if n.startswith("ATTNSCOPE_")]:
        monkeypatch.delenv(name)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("attnscope: ")
    assert "Traceback" not in captured.err
    return lines[0]


def test_analyze_json_is_the_api_payload(saved_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["analyze", TEXT, "--json", "--model", str(saved_model_dir), "--device", "cpu", "--max-length", "8"]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)

    loaded = load_model(saved_model_dir, torch.device("cpu"))
    with make_client({loaded.name: loaded}) as client:
        served = client.post("/api/analyze", json={"text": TEXT, "max_length": 8}).json()
    assert printed.keys() == served.keys()
    assert printed == served


def test_analyze_out_writes_a_loadable_npz(
    saved_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.npz"
    assert main(["analyze", TEXT, "--out", str(out), "--model", str(saved_model_dir), "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    translation = captured.out.splitlines()[0]
    assert str(out) in captured.err
    with np.load(out) as archive:
        header = json.loads(str(archive["header"]))
        weights = archive["attention.encoder.weights"]
        source_ids = archive["source.ids"]
    assert header["text"] == TEXT and header["translation"] == translation
    assert weights.shape == (2, 4, len(source_ids), len(source_ids))
    assert source_ids[-1] == 3


@pytest.mark.parametrize("text", ["", "   "])
def test_analyze_empty_text_is_one_line_and_exit_2(
    text: str, saved_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", text, "--model", str(saved_model_dir), "--device", "cpu"]) == 2
    assert "empty" in _one_error_line(capsys)


def test_analyze_missing_model_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", TEXT, "--model", str(tmp_path / "absent"), "--device", "cpu"]) == 2
    assert "not found" in _one_error_line(capsys)


def test_serve_with_a_missing_model_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--model", "/nonexistent", "--device", "cpu"]) == 2
    assert "/nonexistent" in _one_error_line(capsys)
