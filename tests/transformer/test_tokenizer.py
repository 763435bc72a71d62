"""The subword tokenizer: fixed special ids, lossless on ordinary text, unbreakable on odd text."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer, models

from app.transformer.tokenizer import SPECIAL_TOKENS, WORD_START, SubwordTokenizer

ORDINARY = [
    "She takes the key.",
    "They want the bread.",
    "I see a letter.",
    "Nous trouvons le café.",
    "Elle prend la clé.",
    "Ils veulent une lettre.",
    "We find the dog.",  # a combination the corpus may not hold, from words it does
]

ODD = {
    "empty": "",
    "emoji": "I see the cat 🐱🎉.",
    "zero-width joiner family": "👨\u200d👩\u200d👧",
    "cjk": "我看见猫。日本語のテキスト",
    "accents": "Où êtes-vous ? Ça va, naïve Noël, façade, ÅÉÎÕÜ",
    "combining accent": "e\u0301te\u0301",
    "control characters": "a\x00b\x07c\td\ne\rf\x1b[0m",
    "lone surrogate": "a\ud800b",
    "lone low surrogate at the end": "cat\udfff",
    "right to left": "مرحبا بالعالم שלום",
    "mixed directions": "the cat \u202eولد\u202c sees",
    "ligature": "ﬁne ﬂower",
    "only spaces": "   \u00a0\u202f ",
    "very long": "the cat sees the dog " * 5000 + "漢" * 2000,
}


def test_special_tokens_have_ids_0_to_3(tiny_tokenizer: SubwordTokenizer) -> None:
    assert [tiny_tokenizer.id_to_token(i) for i in range(4)] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert list(SPECIAL_TOKENS) == ["<pad>", "<unk>", "<s>", "</s>"]


def test_vocabulary_size_is_bounded(tiny_tokenizer: SubwordTokenizer) -> None:
    assert 40 < tiny_tokenizer.vocab_size <= 200


def test_a_tokenizer_without_the_special_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="<pad>"):
        SubwordTokenizer(Tokenizer(models.BPE(unk_token="<unk>")))


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_round_trip(tiny_tokenizer: SubwordTokenizer, text: str) -> None:
    encoded = tiny_tokenizer.encode(text)
    assert 1 not in encoded.ids
    assert tiny_tokenizer.decode(encoded.ids) == text


@pytest.mark.parametrize("text", ORDINARY)
def test_word_initial_tokens_carry_the_marker(tiny_tokenizer: SubwordTokenizer, text: str) -> None:
    tokens = tiny_tokenizer.encode(text).tokens
    starts = [t for t in tokens if t.startswith(WORD_START)]
    assert tokens[0].startswith(WORD_START)
    assert len(starts) == len(text.split()), tokens  # one marker per word, none inside a word
    assert "".join(tokens).replace(WORD_START, " ").strip() == text


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
def test_odd_input_never_raises_and_offsets_stay_in_the_text(
    tiny_tokenizer: SubwordTokenizer, text: str
) -> None:
    encoded = tiny_tokenizer.encode(text)
    assert len(encoded.ids) == len(encoded.tokens) == len(encoded.offsets)
    assert all(0 <= i < tiny_tokenizer.vocab_size for i in encoded.ids)
    for start, end in encoded.offsets:
        assert 0 <= start <= end <= len(text)
    starts = [start for start, _ in encoded.offsets]
    assert starts == sorted(starts)
    assert isinstance(tiny_tokenizer.decode(encoded.ids), str)
    assert tiny_tokenizer.encode_batch([text]) == [encoded.ids]


def test_empty_text_has_no_tokens(tiny_tokenizer: SubwordTokenizer) -> None:
    assert tiny_tokenizer.encode("").ids == []
    assert tiny_tokenizer.decode([]) == ""


@pytest.mark.parametrize("stranger", ["猫", "🐱", "\ud800", "ש"])
def test_unknown_characters_become_unk(tiny_tokenizer: SubwordTokenizer, stranger: str) -> None:
    plain = tiny_tokenizer.encode("I see the cat")
    with_stranger = tiny_tokenizer.encode(f"I see the cat{stranger}")
    assert with_stranger.ids == [*plain.ids, 1]
    assert tiny_tokenizer.decode(with_stranger.ids) == "I see the cat"  # <unk> is not written out


def test_save_and_load_give_the_same_ids(tiny_tokenizer: SubwordTokenizer, tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    tiny_tokenizer.save(path)
    loaded = SubwordTokenizer.load(path)
    assert loaded.vocab_size == tiny_tokenizer.vocab_size
    for text in [*ORDINARY, *ODD.values()]:
        assert loaded.encode(text) == tiny_tokenizer.encode(text)
