"""Model folders: a faithful float16 round trip, and one clear ModelLoadError for every kind of damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.transformer.checkpoint import (
    CONFIG_FILE,
    METRICS_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    ModelLoadError,
    load_model,
    save_model,
)
from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer

CPU = torch.device("cpu")


@pytest.fixture
def saved(tmp_path: Path, tiny_tokenizer: SubwordTokenizer) -> tuple[Path, Transformer]:
    """A freshly initialised model saved with the tiny tokenizer; returns the folder and the original."""
    torch.manual_seed(5)
    config = ModelConfig(
        vocab_size=tiny_tokenizer.vocab_size,
        d_model=32,
        n_heads=4,
        n_encoder_layers=1,
        n_decoder_layers=1,
        d_ff=64,
    )
    model = Transformer(config).eval()
    folder = tmp_path / "tiny"
    save_model(model, tiny_tokenizer, folder)
    return folder, model


def _load_error(folder: Path) -> str:
    with pytest.raises(ModelLoadError) as caught:
        load_model(folder, CPU)
    message = str(caught.value)
    assert message.strip()
    assert "\n" not in message, "the message must be one line"
    return message


def test_round_trip_keeps_the_outputs(
    saved: tuple[Path, Transformer], tiny_tokenizer: SubwordTokenizer
) -> None:
    folder, original = saved
    loaded = load_model(folder, CPU)
    assert not loaded.model.training
    assert loaded.config == original.config
    assert loaded.name == "tiny"
    assert loaded.metrics == {}
    assert loaded.tokenizer.encode("She takes the key.") == tiny_tokenizer.encode("She takes the key.")
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    src = torch.tensor([[10, 11, 12, 3], [13, 14, 3, 0]])
    tgt = torch.tensor([[2, 20, 21], [2, 22, 0]])
    with torch.no_grad():
        expected, actual = original(src, tgt), loaded.model(src, tgt)
    torch.testing.assert_close(actual, expected, atol=1e-2, rtol=0)


def test_weights_are_stored_as_float16(saved: tuple[Path, Transformer]) -> None:
    folder, original = saved
    stored = load_file(str(folder / WEIGHTS_FILE))
    assert set(stored) == set(original.state_dict())
    assert all(t.dtype == torch.float16 for t in stored.values())


def test_metrics_are_read_when_present(saved: tuple[Path, Transformer]) -> None:
    folder, _ = saved
    (folder / METRICS_FILE).write_text(json.dumps({"dev_bleu": 12.5}), encoding="utf-8")
    assert load_model(folder, CPU).metrics == {"dev_bleu": 12.5}


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]"])
def test_a_damaged_metrics_file_does_not_stop_the_model_loading(
    saved: tuple[Path, Transformer], content: bytes
) -> None:
    """Scores are optional decoration; the weights are still good."""
    folder, _ = saved
    (folder / METRICS_FILE).write_bytes(content)
    assert load_model(folder, CPU).metrics == {}


def test_missing_folder(tmp_path: Path) -> None:
    assert "not found" in _load_error(tmp_path / "no-such-model")


@pytest.mark.parametrize("missing", [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE])
def test_missing_file(saved: tuple[Path, Transformer], missing: str) -> None:
    folder, _ = saved
    (folder / missing).unlink()
    assert missing in _load_error(folder)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"this is not a safetensors file",
        b'\x08\x00\x00\x00\x00\x00\x00\x00{"a":1}',
        bytes(range(256)) * 8,
    ],
    ids=["empty", "text", "bad header", "binary"],
)
def test_corrupt_weights(saved: tuple[Path, Transformer], garbage: bytes) -> None:
    folder, _ = saved
    (folder / WEIGHTS_FILE).write_bytes(garbage)
    _load_error(folder)


def test_truncated_weights(saved: tuple[Path, Transformer]) -> None:
    folder, _ = saved
    data = (folder / WEIGHTS_FILE).read_bytes()
    (folder / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    _load_error(folder)


def test_weights_of_another_shape(saved: tuple[Path, Transformer]) -> None:
    folder, _ = saved
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "d_ff": 128}), encoding="utf-8")
    _load_error(folder)


@pytest.mark.parametrize(
    "text",
    ["{not json", "", "[1, 2]", "null", '"vocab_size"', '{"d_model": 32}'],
    ids=["broken", "empty", "list", "null", "string", "no vocab size"],
)
def test_config_that_is_not_a_config(saved: tuple[Path, Transformer], text: str) -> None:
    folder, _ = saved
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
    _load_error(folder)


def test_config_with_unknown_keys(saved: tuple[Path, Transformer]) -> None:
    folder, _ = saved
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "n_experts": 8}), encoding="utf-8")
    assert "n_experts" in _load_error(folder)


def test_config_and_tokenizer_that_disagree(saved: tuple[Path, Transformer]) -> None:
    folder, _ = saved
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "vocab_size": config["vocab_size"] + 1}), "utf-8")
    _load_error(folder)


@pytest.mark.parametrize("text", ["{broken", '{"model": {}}'], ids=["not json", "not a tokenizer"])
def test_corrupt_tokenizer(saved: tuple[Path, Transformer], text: str) -> None:
    folder, _ = saved
    (folder / TOKENIZER_FILE).write_text(text, encoding="utf-8")
    _load_error(folder)


def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"x")
    _load_error(path)
