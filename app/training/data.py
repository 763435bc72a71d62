"""Reading a `source<TAB>target` corpus and splitting it by source sentence."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

# French typography puts a (narrow) no-break space before ! ? ; : — normalise both
# sides of training and evaluation to a plain space so hypotheses and references agree.
_SPACES = {"\u202f": " ", "\u00a0": " ", "\u2009": " "}


def normalize(text: str) -> str:
    for odd, plain in _SPACES.items():
        text = text.replace(odd, plain)
    return " ".join(text.split())


@dataclass(frozen=True)
class Pair:
    source: str
    target: str


@dataclass(frozen=True)
class DevSentence:
    """A held-out source sentence with every translation of it as references."""

    source: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Split:
    train: list[Pair]
    dev: list[DevSentence]


def read_pairs(path: Path) -> list[Pair]:
    """Lines of `source<TAB>target` (extra columns ignored); malformed lines raise with their number."""
    pairs: list[Pair] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            columns = line.rstrip("\n").split("\t")
            if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
                raise ValueError(f"{path}:{number}: expected 'source<TAB>target'")
            pairs.append(Pair(normalize(columns[0]), normalize(columns[1])))
    if not pairs:
        raise ValueError(f"{path}: no sentence pairs")
    return pairs


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _in_dev(source: str, dev_fraction: float) -> bool:
    """Stable across runs, machines and corpus order: decided by a hash of the sentence alone."""
    bucket = int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest()[:8], "big")
    return bucket / 2**64 < dev_fraction


def split_by_source(pairs: list[Pair], dev_fraction: float = 0.03, max_dev: int = 2000) -> Split:
    """All translations of a dev source sentence go to dev (as its references), none to train."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        by_source[pair.source].append(pair.target)
    dev_sources = sorted(s for s in by_source if _in_dev(s, dev_fraction))[:max_dev]
    if not dev_sources and len(by_source) > 1:
        dev_sources = [min(by_source)]  # tiny corpora still get a dev sentence
    dev_set = set(dev_sources)
    train = [p for p in pairs if p.source not in dev_set]
    dev = [DevSentence(s, tuple(by_source[s])) for s in dev_sources]
    return Split(train, dev)
