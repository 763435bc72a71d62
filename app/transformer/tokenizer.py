"""Shared English/French subword vocabulary (byte-pair encoding via the `tokenizers` library).

Spaces become the visible word-start marker `▁` and punctuation is split off, so
every token reads as a word piece in a heatmap label. Characters the vocabulary
has never seen become `<unk>`; no input string can make encoding fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)  # ids 0..3, in this order
WORD_START = "▁"


@dataclass(frozen=True)
class Encoded:
    """One piece of text as tokens, with where each token came from in that text."""

    ids: list[int]
    tokens: list[str]
    offsets: list[tuple[int, int]]  # character [start, end) in the original text


def clean_text(text: str) -> str:
    """Replace lone surrogates (not encodable as UTF-8) one-for-one, so offsets stay valid."""
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def _new_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always"),
            pre_tokenizers.Punctuation(behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=WORD_START, prepend_scheme="always")
    return tok


class SubwordTokenizer:
    """Thin wrapper that fixes the special ids and adds offsets and display strings."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tok = tokenizer
        for expected_id, token in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(token) != expected_id:
                raise ValueError(f"tokenizer must map {token!r} to id {expected_id}")

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 8000) -> SubwordTokenizer:
        tok = _new_tokenizer()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=2,
            special_tokens=list(SPECIAL_TOKENS),
            show_progress=False,
        )

        def cleaned() -> Iterator[str]:
            for text in texts:
                yield clean_text(text)

        tok.train_from_iterator(cleaned(), trainer=trainer)
        return cls(tok)

    @classmethod
    def load(cls, path: Path) -> SubwordTokenizer:
        return cls(Tokenizer.from_file(str(path)))

    def save(self, path: Path) -> None:
        self._tok.save(str(path))

    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size()

    def encode(self, text: str) -> Encoded:
        enc = self._tok.encode(clean_text(text), add_special_tokens=False)
        return Encoded(list(enc.ids), list(enc.tokens), [tuple(o) for o in enc.offsets])  # type: ignore[misc]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        encs = self._tok.encode_batch([clean_text(t) for t in texts], add_special_tokens=False)
        return [list(e.ids) for e in encs]

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids, skip_special_tokens=True)

    def id_to_token(self, token_id: int) -> str:
        token = self._tok.id_to_token(token_id)
        return token if token is not None else UNK

    def display(self, token_id: int) -> str:
        """How a token is labelled on screen: the word piece with its `▁` word-start marker."""
        return self.id_to_token(token_id)
