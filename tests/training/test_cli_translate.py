"""`attnscope translate` on the tiny trained model: one output line per input line, clean failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main


def _translate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["translate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(err: str) -> bool:
    return (
        err.startswith("attnscope: ")
        and err.count("\n") == 1
        and err.endswith("\n")
        and "Traceback" not in err
    )


@pytest.mark.parametrize("beam", ["1", "3"])
def test_a_sentence_gives_one_line(
    trained_model_dir: Path, capsys: pytest.CaptureFixture[str], beam: str
) -> None:
    code, out, err = _translate(
        capsys, "She takes the key.", "--model", str(trained_model_dir), "--beam", beam
    )
    assert code == 0, err
    assert out.endswith("\n") and out.count("\n") == 1


def test_beam_search_on_odd_text_still_answers(
    trained_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _translate(capsys, "猫 🐱 \ud800 مرحبا", "--model", str(trained_model_dir), "--beam", "2")
    assert code == 0
    assert out.count("\n") == 1


def test_an_input_file_gives_one_line_per_line(
    trained_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["She takes the key.", "", "We see the dog.", "   ", "They want the bread."]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _translate(capsys, "--input", str(source), "--model", str(trained_model_dir))
    assert code == 0, err
    outputs = out.split("\n")
    assert outputs[-1] == ""  # the output ends with a newline
    outputs = outputs[:-1]
    assert len(outputs) == len(lines)
    for line, translation in zip(lines, outputs, strict=True):
        if not line.strip():
            assert translation == ""


@pytest.mark.parametrize("text", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_empty_text_is_refused(
    trained_model_dir: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    code, out, err = _translate(capsys, text, "--model", str(trained_model_dir))
    assert code == 2
    assert out == ""
    assert _one_line_error(err), err


def test_no_text_at_all_is_refused(trained_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _translate(capsys, "--model", str(trained_model_dir))
    assert code == 2
    assert _one_line_error(err), err


def test_a_missing_model_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _translate(capsys, "I am cold.", "--model", str(tmp_path / "no-such-model"))
    assert code == 2
    assert out == ""
    assert _one_line_error(err), err
    assert "no-such-model" in err


def test_a_broken_model_folder_is_one_line(
    trained_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (broken / name).write_bytes((trained_model_dir / name).read_bytes())
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    code, _, err = _translate(capsys, "I am cold.", "--model", str(broken))
    assert code == 2
    assert _one_line_error(err), err


def test_a_missing_input_file_is_one_line(
    trained_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _translate(
        capsys, "--input", str(tmp_path / "absent.txt"), "--model", str(trained_model_dir)
    )
    assert code == 2
    assert _one_line_error(err), err
