"""Attention invariants read off the probe: masks, normalisation, shapes and the full set of names.

These are what the heatmaps rely on: a future token or a pad that gets weight, or a
row that does not sum to one, would be drawn as if it were something the model does.
"""

from __future__ import annotations

import pytest
import torch

from app.transformer.config import ModelConfig
from app.transformer.model import Transformer
from app.transformer.probes import (
    ATTENTION_KINDS,
    ATTENTION_PARTS,
    DECODER_SUBLAYERS,
    ENCODER_SUBLAYERS,
    LOGITS,
    AttentionKind,
    Stack,
    attention_name,
    embedding_name,
    layer_name,
)
from tests.helpers import PaddedBatch, Recorder


@pytest.fixture(scope="module")
def recorded(tiny_model: Transformer, padded_batch: PaddedBatch) -> Recorder:
    recorder = Recorder()
    with torch.no_grad():
        tiny_model(padded_batch.src, padded_batch.tgt, probe=recorder)
    return recorder


def _layer_count(config: ModelConfig, kind: AttentionKind) -> int:
    return config.n_encoder_layers if kind == "encoder" else config.n_decoder_layers


def _real(lengths: tuple[int, ...], width: int) -> torch.Tensor:
    """(B, width) bool, True at non-pad positions."""
    return torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)


def test_decoder_self_attention_gives_no_weight_to_future_positions(
    recorded: Recorder, tiny_config: ModelConfig
) -> None:
    for layer in range(tiny_config.n_decoder_layers):
        weights = recorded[attention_name("decoder", layer, "weights")]  # (B, H, T, T)
        t = weights.size(-1)
        future = torch.ones(t, t, dtype=torch.bool).triu(diagonal=1)
        assert bool((weights[..., future] == 0).all()), f"decoder layer {layer} looks ahead"


def test_rows_of_real_queries_sum_to_one(
    recorded: Recorder, tiny_config: ModelConfig, padded_batch: PaddedBatch
) -> None:
    b = padded_batch
    query_lengths = {"encoder": b.src_lengths, "decoder": b.tgt_lengths, "cross": b.tgt_lengths}
    for kind in ATTENTION_KINDS:
        for layer in range(_layer_count(tiny_config, kind)):
            weights = recorded[attention_name(kind, layer, "weights")]  # (B, H, rows, cols)
            real_rows = _real(query_lengths[kind], weights.size(2))  # (B, rows)
            sums = weights.sum(dim=-1).permute(0, 2, 1)[real_rows]  # (real rows, H)
            assert sums.numel() > 0
            torch.testing.assert_close(sums, torch.ones_like(sums), atol=1e-5, rtol=0)


def test_padded_keys_get_exactly_zero_weight(
    recorded: Recorder, tiny_config: ModelConfig, padded_batch: PaddedBatch
) -> None:
    b = padded_batch
    pad_src = ~_real(b.src_lengths, b.src.size(1))  # (B, S)
    pad_tgt = ~_real(b.tgt_lengths, b.tgt.size(1))  # (B, T)
    assert bool(pad_src.any()) and bool(pad_tgt.any()), "the batch must contain padding"
    cases: tuple[tuple[AttentionKind, torch.Tensor], ...] = (
        ("encoder", pad_src),
        ("cross", pad_src),
        ("decoder", pad_tgt),
    )
    for kind, pad_keys in cases:
        for layer in range(_layer_count(tiny_config, kind)):
            weights = recorded[attention_name(kind, layer, "weights")]  # (B, H, rows, cols)
            on_pads = weights.permute(0, 3, 1, 2)[pad_keys]  # (pad keys, H, rows)
            assert bool((on_pads == 0).all()), f"{kind} layer {layer} attends to padding"


def test_probed_shapes(recorded: Recorder, tiny_config: ModelConfig, padded_batch: PaddedBatch) -> None:
    c = tiny_config
    batch, s = padded_batch.src.shape
    t = padded_batch.tgt.size(1)
    h, d_head = c.n_heads, c.d_head
    # (query length, key length) for each kind of attention
    geometry: dict[AttentionKind, tuple[int, int]] = {"encoder": (s, s), "decoder": (t, t), "cross": (t, s)}
    for kind, (rows, cols) in geometry.items():
        for layer in range(_layer_count(c, kind)):
            expected = {
                "q": (batch, h, rows, d_head),
                "k": (batch, h, cols, d_head),
                "v": (batch, h, cols, d_head),
                "scores": (batch, h, rows, cols),
                "mask": (batch, h, rows, cols),
                "weights": (batch, h, rows, cols),
                "context": (batch, h, rows, d_head),
            }
            for part, shape in expected.items():
                assert tuple(recorded[attention_name(kind, layer, part)].shape) == shape, (kind, layer, part)
    for layer in range(c.n_encoder_layers):
        assert tuple(recorded[layer_name("encoder", layer, "ffn") + ".hidden"].shape) == (batch, s, c.d_ff)
    for layer in range(c.n_decoder_layers):
        assert tuple(recorded[layer_name("decoder", layer, "ffn") + ".hidden"].shape) == (batch, t, c.d_ff)
        assert tuple(recorded[layer_name("decoder", layer, "cross_attn") + ".out"].shape) == (
            batch,
            t,
            c.d_model,
        )


def test_every_probe_name_is_emitted_once(recorded: Recorder, tiny_config: ModelConfig) -> None:
    c = tiny_config
    expected = {
        attention_name(kind, layer, part)
        for kind in ATTENTION_KINDS
        for layer in range(_layer_count(c, kind))
        for part in ATTENTION_PARTS
    }
    stacks: tuple[tuple[Stack, tuple[str, ...], int], ...] = (
        ("encoder", ENCODER_SUBLAYERS, c.n_encoder_layers),
        ("decoder", DECODER_SUBLAYERS, c.n_decoder_layers),
    )
    for stack, sublayers, count in stacks:
        expected |= {embedding_name(stack, part) for part in ("token", "position", "sum")}
        for layer in range(count):
            expected.add(layer_name(stack, layer, "ffn") + ".hidden")
            for sublayer in sublayers:
                expected |= {layer_name(stack, layer, sublayer) + suffix for suffix in (".ln_in", ".out")}
    expected.add(LOGITS)
    assert set(recorded.names) == expected
    assert len(recorded.names) == len(expected), "a site reported twice in one forward pass"


def test_probed_weights_are_the_ones_applied_to_values(recorded: Recorder, tiny_config: ModelConfig) -> None:
    """With dropout off and no ablation, context = weights · V exactly as the probe saw them."""
    for kind in ATTENTION_KINDS:
        weights = recorded[attention_name(kind, 0, "weights")]
        values = recorded[attention_name(kind, 0, "v")]
        torch.testing.assert_close(recorded[attention_name(kind, 0, "context")], weights @ values)


def test_recording_does_not_change_the_output(tiny_model: Transformer, padded_batch: PaddedBatch) -> None:
    with torch.no_grad():
        plain = tiny_model(padded_batch.src, padded_batch.tgt)
        recorder = Recorder()
        probed = tiny_model(padded_batch.src, padded_batch.tgt, probe=recorder)
    assert recorder.names, "the probe was never called"
    assert torch.equal(plain, probed)
