"""Small helpers the tests share: a recording probe and generated bilingual sentences.

Corpora are generated here rather than read from disk so that a fresh clone (with no
downloaded data) runs the whole suite.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

# (English, French) subject pronouns; the English verb takes an -s after he/she.
_SUBJECTS = (("I", "Je"), ("You", "Tu"), ("He", "Il"), ("She", "Elle"), ("We", "Nous"), ("They", "Ils"))
_THIRD_PERSON = {"He", "She"}
# English verb, then its French present tense for je, tu, il, elle, nous, ils.
_VERBS = (
    ("see", ("vois", "vois", "voit", "voit", "voyons", "voient")),
    ("want", ("veux", "veux", "veut", "veut", "voulons", "veulent")),
    ("take", ("prends", "prends", "prend", "prend", "prenons", "prennent")),
    ("find", ("trouve", "trouves", "trouve", "trouve", "trouvons", "trouvent")),
)
_OBJECTS = (
    ("the cat", "le chat"),
    ("the dog", "le chien"),
    ("a book", "un livre"),
    ("the station", "la gare"),
    ("the coffee", "le café"),
    ("the house", "la maison"),
    ("the apple", "la pomme"),
    ("the bread", "le pain"),
    ("a letter", "une lettre"),
    ("the key", "la clé"),
)


def sentence_pairs(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` distinct (English, French) sentences such as ("She takes the key.", "Elle prend la clé.")."""
    pairs = []
    for person, (en_subject, fr_subject) in enumerate(_SUBJECTS):
        for en_verb, fr_forms in _VERBS:
            verb = en_verb + "s" if en_subject in _THIRD_PERSON else en_verb
            for en_object, fr_object in _OBJECTS:
                pairs.append(
                    (f"{en_subject} {verb} {en_object}.", f"{fr_subject} {fr_forms[person]} {fr_object}.")
                )
    if count > len(pairs):
        raise ValueError(f"only {len(pairs)} distinct sentences can be generated")
    random.Random(seed).shuffle(pairs)
    return pairs[:count]


class Recorder:
    """A probe that keeps a private copy of every tensor it is handed, and the order names came in."""

    def __init__(self) -> None:
        self.tensors: dict[str, Tensor] = {}
        self.names: list[str] = []

    def __call__(self, name: str, value: Tensor) -> None:
        self.names.append(name)
        self.tensors[name] = value.detach().clone()

    def __getitem__(self, name: str) -> Tensor:
        return self.tensors[name]


@dataclass(frozen=True)
class PaddedBatch:
    """A batch whose rows have different lengths, padded on the right with pad id 0."""

    src: Tensor  # (B, S)
    tgt: Tensor  # (B, T), starting with <s>
    src_lengths: tuple[int, ...]
    tgt_lengths: tuple[int, ...]


@dataclass(frozen=True)
class TrainedRun:
    """One `attnscope train` run on the generated corpus, one epoch."""

    folder: Path
    data: Path
    exit_code: int
    stderr: str
