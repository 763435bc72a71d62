"""Reading the corpus and holding out a dev set that shares no source sentence with training."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.training.data import Pair, normalize, read_pairs, split_by_source


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_pairs_normalises_odd_spaces(tmp_path: Path) -> None:
    path = _write(tmp_path, "Hello\u00a0!\tBonjour\u202f!\nWhat?  Really?\tQuoi\u2009? Vraiment ?\n")
    assert read_pairs(path) == [Pair("Hello !", "Bonjour !"), Pair("What? Really?", "Quoi ? Vraiment ?")]


def test_read_pairs_skips_blank_lines_and_ignores_extra_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "\nHi.\tSalut.\tCC-BY 2.0 (France) Attribution: tatoeba.org\r\n\n  \nBye.\tAu revoir."
    )
    assert read_pairs(path) == [Pair("Hi.", "Salut."), Pair("Bye.", "Au revoir.")]


@pytest.mark.parametrize(
    "bad_line",
    ["no tab at all", "\tonly a target", "only a source\t", "   \tSalut.", "source\t\textra"],
    ids=["no tab", "empty source", "empty target", "blank source", "empty target before extra"],
)
def test_read_pairs_names_the_malformed_line(tmp_path: Path, bad_line: str) -> None:
    path = _write(tmp_path, f"Hi.\tSalut.\n\n{bad_line}\nBye.\tAu revoir.\n")
    with pytest.raises(ValueError, match=r":3: expected 'source<TAB>target'") as caught:
        read_pairs(path)
    assert str(path) in str(caught.value)


def test_read_pairs_refuses_an_empty_corpus(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no sentence pairs"):
        read_pairs(_write(tmp_path, "\n\n"))


def test_normalize_collapses_whitespace() -> None:
    assert normalize("  Il fait\u00a0froid\u202f!  ") == "Il fait froid !"


def _corpus(sources: int) -> list[Pair]:
    """Sources with one to three translations each, as in Tatoeba."""
    rng = random.Random(11)
    return [
        Pair(f"Sentence number {i}.", f"Phrase {i}, version {v}.")
        for i in range(sources)
        for v in range(rng.randint(1, 3))
    ]


def _summary(pairs: list[Pair], dev_fraction: float) -> tuple[list[tuple[str, list[str]]], Counter[Pair]]:
    """The split, blind to input order: dev as (source, sorted references), train as a multiset."""
    split = split_by_source(pairs, dev_fraction)
    return [(d.source, sorted(d.references)) for d in split.dev], Counter(split.train)


def test_split_keeps_every_translation_of_a_dev_source_out_of_train() -> None:
    pairs = _corpus(300)
    split = split_by_source(pairs, dev_fraction=0.2)
    assert 20 < len(split.dev) < 100
    dev_sources = {d.source for d in split.dev}
    assert not any(p.source in dev_sources for p in split.train)
    for sentence in split.dev:
        all_translations = sorted(p.target for p in pairs if p.source == sentence.source)
        assert sorted(sentence.references) == all_translations
    assert len(split.train) + sum(len(d.references) for d in split.dev) == len(pairs)


def test_split_is_deterministic_and_independent_of_line_order() -> None:
    pairs = _corpus(300)
    shuffled = pairs.copy()
    random.Random(3).shuffle(shuffled)
    assert shuffled != pairs
    assert _summary(pairs, 0.2) == _summary(pairs, 0.2)
    assert _summary(shuffled, 0.2) == _summary(pairs, 0.2)


def test_split_is_the_same_in_another_process() -> None:
    """Python's own hash() changes per process; the dev set must not (BLEU would not be comparable)."""
    script = (
        "import json, sys; from app.training.data import Pair, split_by_source;"
        "pairs = [Pair(*p) for p in json.load(sys.stdin)];"
        "print(json.dumps([d.source for d in split_by_source(pairs, 0.2).dev]))"
    )
    pairs = _corpus(300)
    here = [d.source for d in split_by_source(pairs, 0.2).dev]
    root = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        result = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps([[p.source, p.target] for p in pairs]),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(result.stdout) == here


def test_split_of_a_different_corpus_keeps_each_sentence_on_its_side() -> None:
    """The decision is per sentence, so adding data never moves an old dev sentence into train."""
    small, large = _corpus(200), _corpus(400)
    small_dev = {d.source for d in split_by_source(small, 0.2).dev}
    large_dev = {d.source for d in split_by_source(large, 0.2).dev}
    assert small_dev == {s for s in large_dev if s in {p.source for p in small}}


def test_split_caps_the_dev_set() -> None:
    assert len(split_by_source(_corpus(300), dev_fraction=0.5, max_dev=7).dev) == 7


def test_a_tiny_corpus_still_gets_one_dev_sentence() -> None:
    pairs = [Pair("b", "B"), Pair("a", "A1"), Pair("a", "A2"), Pair("c", "C")]
    split = split_by_source(pairs, dev_fraction=0.0)
    assert [(d.source, d.references) for d in split.dev] == [("a", ("A1", "A2"))]
    assert split.train == [Pair("b", "B"), Pair("c", "C")]
