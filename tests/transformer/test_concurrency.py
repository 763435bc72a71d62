"""Two requests sharing one model must each see only their own internals.

The server runs forward passes from several threads on one model; the probe is passed
down as an argument precisely so this holds. A probe stored on a module would fail here.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import torch

from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.probes import ATTENTION_KINDS, attention_name
from tests.helpers import PaddedBatch, Recorder

ROUNDS = 5


def _weight_names(config: ModelConfig) -> list[str]:
    layers = {
        "encoder": config.n_encoder_layers,
        "decoder": config.n_decoder_layers,
        "cross": config.n_decoder_layers,
    }
    return [
        attention_name(kind, layer, "weights") for kind in ATTENTION_KINDS for layer in range(layers[kind])
    ]


def _run(
    model: Transformer, src: torch.Tensor, tgt: torch.Tensor, barrier: threading.Barrier | None
) -> Recorder:
    recorder = Recorder()
    if barrier is not None:
        barrier.wait(timeout=30)  # both threads start their forward pass together
    with torch.no_grad():
        model(src, tgt, probe=recorder)
    return recorder


def test_concurrent_forward_passes_keep_their_own_tensors(
    tiny_model: Transformer, tiny_config: ModelConfig, padded_batch: PaddedBatch
) -> None:
    # Same shapes, different contents: a mix-up cannot hide behind a shape error.
    inputs = [
        (padded_batch.src, padded_batch.tgt),
        (padded_batch.src.flip(0), padded_batch.tgt.flip(0)),
    ]
    names = _weight_names(tiny_config)
    alone = [_run(tiny_model, src, tgt, None) for src, tgt in inputs]
    assert not torch.equal(alone[0][names[0]], alone[1][names[0]]), "the two inputs must differ"

    barrier = threading.Barrier(len(inputs))
    with ThreadPoolExecutor(max_workers=len(inputs)) as pool:
        for _ in range(ROUNDS):
            futures = [pool.submit(_run, tiny_model, src, tgt, barrier) for src, tgt in inputs]
            together = [future.result(timeout=60) for future in futures]
            for own, reference in zip(together, alone, strict=True):
                assert own.names == reference.names
                for name in names:
                    assert torch.equal(own[name], reference[name]), name
