"""Shared, session-scoped fixtures: a tiny seeded model, a tiny tokenizer, a tiny trained model folder.

Everything is built from generated data, so nothing here needs a download or the shipped model.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import torch

from app.cli import main
from app.transformer.checkpoint import LoadedModel
from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.tokenizer import SubwordTokenizer
from tests.fixtures_models import tiny_loaded_model, tiny_trained_model
from tests.helpers import PaddedBatch, TrainedRun, sentence_pairs

# The models here are tiny: one thread is faster than a pool (no hand-offs), and it keeps the suite
# from spinning against a training run that may share the machine.
torch.set_num_threads(1)

TRAIN_PAIRS = 150


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    return ModelConfig(
        vocab_size=64, d_model=32, n_heads=4, n_encoder_layers=2, n_decoder_layers=2, d_ff=64, dropout=0.0
    )


@pytest.fixture(scope="session")
def tiny_model(tiny_config: ModelConfig) -> Transformer:
    """Seeded and in eval mode; shared, so tests must not train or modify it."""
    torch.manual_seed(1234)
    return Transformer(tiny_config).eval()


@pytest.fixture(scope="session")
def padded_batch(tiny_config: ModelConfig) -> PaddedBatch:
    """Three sentences of different lengths, so every mask has something to hide."""
    src_lengths, tgt_lengths = (7, 4, 2), (5, 3, 1)
    generator = torch.Generator().manual_seed(7)
    c = tiny_config
    src = torch.full((3, max(src_lengths)), c.pad_id, dtype=torch.long)
    tgt = torch.full((3, max(tgt_lengths)), c.pad_id, dtype=torch.long)
    for row, (s, t) in enumerate(zip(src_lengths, tgt_lengths, strict=True)):
        src[row, : s - 1] = torch.randint(4, c.vocab_size, (s - 1,), generator=generator)
        src[row, s - 1] = c.eos_id
        tgt[row, 0] = c.bos_id
        tgt[row, 1:t] = torch.randint(4, c.vocab_size, (t - 1,), generator=generator)
    return PaddedBatch(src, tgt, src_lengths, tgt_lengths)


@pytest.fixture(scope="session")
def bilingual_pairs() -> list[tuple[str, str]]:
    return sentence_pairs(TRAIN_PAIRS)


@pytest.fixture(scope="session")
def tiny_tokenizer(bilingual_pairs: list[tuple[str, str]]) -> SubwordTokenizer:
    texts = [text for pair in bilingual_pairs for text in pair]
    return SubwordTokenizer.train(texts, vocab_size=200)


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory, bilingual_pairs: list[tuple[str, str]]) -> Path:
    """A `source<TAB>target` file like the Tatoeba export, generated."""
    path = tmp_path_factory.mktemp("corpus") / "tiny-en-fr.tsv"
    path.write_text("".join(f"{en}\t{fr}\n" for en, fr in bilingual_pairs), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, corpus_file: Path) -> TrainedRun:
    """Train once through the real CLI; tests that change the folder work on a copy of it."""
    folder = tmp_path_factory.mktemp("models") / "tiny-en-fr"
    argv = ["train", "--data", str(corpus_file), "--out", str(folder), "--epochs", "1"]
    argv += ["--d-model", "32", "--heads", "4", "--layers", "1", "--d-ff", "64", "--vocab-size", "200"]
    argv += ["--no-progress", "--device", "cpu"]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        exit_code = main(argv)
    return TrainedRun(folder, corpus_file, exit_code, stderr.getvalue())


@pytest.fixture(scope="session")
def trained_model_dir(trained_run: TrainedRun) -> Path:
    if trained_run.exit_code != 0:
        pytest.fail(f"training the tiny model failed:\n{trained_run.stderr}")
    return trained_run.folder


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    """Untrained, in memory (capture and web tests): never emits </s>, so its traces stop at
    the length limit."""
    return tiny_loaded_model()


@pytest.fixture(scope="session")
def tiny_trained() -> LoadedModel:
    """Fitted to the generated pairs (capture and web tests): its traces end with </s>."""
    return tiny_trained_model()
