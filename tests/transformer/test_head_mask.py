"""Head ablation: silencing heads must matter, and a mask that keeps every head must be a no-op."""

from __future__ import annotations

import pytest
import torch

from app.transformer.config import ModelConfig
from app.transformer.model import HeadMask, Transformer
from app.transformer.probes import attention_name
from tests.helpers import PaddedBatch, Recorder


def _logits(model: Transformer, batch: PaddedBatch, head_mask: HeadMask | None = None) -> torch.Tensor:
    with torch.no_grad():
        return model(batch.src, batch.tgt, head_mask=head_mask)  # type: ignore[no-any-return]


def _table(config: ModelConfig, kind: str, fill: float) -> torch.Tensor:
    layers = config.n_encoder_layers if kind == "encoder" else config.n_decoder_layers
    return torch.full((layers, config.n_heads), fill)


@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross"])
def test_silencing_every_head_of_a_kind_changes_the_output(
    tiny_model: Transformer, tiny_config: ModelConfig, padded_batch: PaddedBatch, kind: str
) -> None:
    ablated = _logits(tiny_model, padded_batch, HeadMask(**{kind: _table(tiny_config, kind, 0.0)}))
    assert not torch.allclose(ablated, _logits(tiny_model, padded_batch), atol=1e-3)


def test_a_mask_of_ones_is_bitwise_a_no_op(
    tiny_model: Transformer, tiny_config: ModelConfig, padded_batch: PaddedBatch
) -> None:
    ones = HeadMask(**{kind: _table(tiny_config, kind, 1.0) for kind in ("encoder", "decoder", "cross")})
    assert torch.equal(_logits(tiny_model, padded_batch, ones), _logits(tiny_model, padded_batch))


def test_silencing_one_head_zeroes_only_that_head(
    tiny_model: Transformer, tiny_config: ModelConfig, padded_batch: PaddedBatch
) -> None:
    table = _table(tiny_config, "cross", 1.0)
    table[0, 1] = 0.0
    name = attention_name("cross", 0, "context")
    plain, ablated = Recorder(), Recorder()
    with torch.no_grad():
        tiny_model(padded_batch.src, padded_batch.tgt, probe=plain)
        tiny_model(padded_batch.src, padded_batch.tgt, probe=ablated, head_mask=HeadMask(cross=table))
    assert bool((ablated[name][:, 1] == 0).all())
    assert bool(plain[name][:, 1].abs().sum() > 0)
    keep = [h for h in range(tiny_config.n_heads) if h != 1]
    assert torch.equal(ablated[name][:, keep], plain[name][:, keep])
