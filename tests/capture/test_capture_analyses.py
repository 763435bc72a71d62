"""The pure analyses against values worked out by hand on small matrices, then on a real trace.

Head labels and statistics are what a reader trusts first in the UI, so each label is
checked on the textbook pattern it names.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.capture.activations import activation_views, stack_view
from app.capture.heads import all_head_stats, head_stats
from app.capture.positional import cosine_matrix, positional_view
from app.capture.rollout import decoder_rollout, encoder_rollout, rollout, with_residual
from app.capture.trace import StackActivations, Trace
from app.transformer.probes import AttentionKind

N = 6


def _all_allowed(rows: int = N, cols: int = N) -> np.ndarray:
    return np.ones((rows, cols), dtype=bool)


def _random_stochastic(rng: np.random.Generator, rows: int, cols: int, causal: bool = False) -> np.ndarray:
    raw = rng.random((rows, cols)) + 0.01
    if causal:
        raw = np.tril(raw)
    return raw / raw.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


# --- head statistics -------------------------------------------------------------------------


def test_uniform_rows_have_maximal_entropy() -> None:
    stats = head_stats(np.full((N, N), 1 / N), _all_allowed(), "encoder", 0, 0)
    assert stats.entropy == pytest.approx(math.log(N))
    assert stats.normalized_entropy == pytest.approx(1.0)
    assert stats.max_weight == pytest.approx(1 / N)
    # mean |i - j| over a 6 × 6 grid: 2·Σ d·(6 − d) / 36 = 70 / 36
    assert stats.mean_distance == pytest.approx(70 / 36)
    assert stats.label == "broad (near uniform)"


def test_causal_uniform_rows_use_the_allowed_key_count() -> None:
    """Row i spreads over i + 1 keys; its normalised entropy is 1 except the one-key row (0)."""
    weights = np.tril(np.ones((N, N))) / np.arange(1, N + 1)[:, None]
    stats = head_stats(weights, np.tri(N, dtype=bool), "decoder", 1, 2)
    assert stats.entropy == pytest.approx(np.mean(np.log(np.arange(1, N + 1))))
    assert stats.normalized_entropy == pytest.approx((N - 1) / N)
    assert (stats.kind, stats.layer, stats.head) == ("decoder", 1, 2)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("encoder", "diagonal (self)"),
        ("decoder", "diagonal (self)"),
        ("cross", "diagonal (position-aligned)"),
    ],
)
def test_identity_is_the_diagonal_pattern(kind: AttentionKind, label: str) -> None:
    stats = head_stats(np.eye(N), _all_allowed(), kind, 0, 0)
    assert stats.mean_distance == 0.0
    assert stats.same == 1.0
    assert stats.entropy == 0.0
    assert stats.max_weight == 1.0
    assert stats.label == label


def test_previous_token_pattern() -> None:
    weights = np.zeros((N, N))
    weights[0, 1] = 1.0  # the first token has no previous one; it looks one step ahead
    weights[np.arange(1, N), np.arange(N - 1)] = 1.0
    stats = head_stats(weights, _all_allowed(), "encoder", 0, 0)
    assert stats.previous == 1.0
    assert stats.next == pytest.approx(1 / (N - 1))
    assert stats.mean_distance == 1.0
    assert stats.label == "previous token"


def test_next_token_pattern() -> None:
    weights = np.zeros((N, N))
    weights[np.arange(N - 1), np.arange(1, N)] = 1.0
    weights[N - 1, N - 2] = 1.0
    stats = head_stats(weights, _all_allowed(), "encoder", 0, 0)
    assert stats.next == 1.0
    assert stats.label == "next token"


@pytest.mark.parametrize(
    ("kind", "label"), [("encoder", "broadcast to end token"), ("cross", "broadcast to end token")]
)
def test_everything_on_the_last_column_is_broadcast_to_end(kind: AttentionKind, label: str) -> None:
    weights = np.zeros((N, N))
    weights[:, -1] = 1.0
    stats = head_stats(weights, _all_allowed(), kind, 0, 0)
    assert stats.last == 1.0
    assert stats.same == pytest.approx(1 / N)
    assert stats.label == label


def test_everything_on_the_first_column_is_first_token() -> None:
    weights = np.zeros((N, N))
    weights[:, 0] = 1.0
    stats = head_stats(weights, _all_allowed(), "encoder", 0, 0)
    assert stats.first == 1.0
    assert stats.mean_distance == pytest.approx(np.mean(np.arange(N)))
    assert stats.label == "first token"


def test_a_content_column_that_no_position_explains_is_focused() -> None:
    weights = np.full((N, N), 0.3 / (N - 1))
    weights[:, 2] = 0.7
    stats = head_stats(weights, _all_allowed(), "encoder", 0, 0)
    assert stats.max_weight == pytest.approx(0.7)
    assert stats.normalized_entropy < 0.85
    assert stats.label == "focused (content-based)"


def test_all_head_stats_covers_every_head_and_a_mean_per_layer(sentence_trace: Trace) -> None:
    stats = all_head_stats(sentence_trace)
    h = sentence_trace.n_heads
    assert len(stats) == sum(layers * (h + 1) for layers in sentence_trace.n_layers.values())
    for s in stats:
        assert 0.0 <= s.normalized_entropy <= 1.0 + 1e-9
        assert 0.0 <= s.max_weight <= 1.0 + 1e-9
        assert s.head in range(-1, h)
    cross = sentence_trace.attention["cross"]
    mean = next(s for s in stats if (s.kind, s.layer, s.head) == ("cross", 1, -1))
    expected = head_stats(cross.weights[1].mean(axis=0), cross.mask, "cross", 1, -1)
    assert mean == expected


# --- rollout ----------------------------------------------------------------------------------


def test_with_residual_is_half_attention_half_identity() -> None:
    a = _random_stochastic(np.random.default_rng(0), N, N)
    np.testing.assert_allclose(with_residual(a), 0.5 * a + 0.5 * np.eye(N), atol=1e-12)


def test_identity_layers_roll_out_to_identity() -> None:
    np.testing.assert_allclose(encoder_rollout(np.stack([np.eye(N)] * 3)), np.eye(N))


def test_rollout_rows_sum_to_one() -> None:
    rng = np.random.default_rng(1)
    s, t = 5, 4
    enc = encoder_rollout(np.stack([_random_stochastic(rng, s, s) for _ in range(3)]))
    np.testing.assert_allclose(enc.sum(axis=-1), 1.0)
    self_layers = np.stack([_random_stochastic(rng, t, t, causal=True) for _ in range(2)])
    cross_layers = np.stack([_random_stochastic(rng, t, s) for _ in range(2)])
    to_target, to_source = decoder_rollout(self_layers, cross_layers, enc)
    assert to_target.shape == (t, t) and to_source.shape == (t, s)
    np.testing.assert_allclose(np.hstack([to_target, to_source]).sum(axis=-1), 1.0)
    assert np.all(np.triu(to_target, k=1) == 0.0), "the decoder rollout stays causal"


def test_rollout_by_hand() -> None:
    """One swap layer: ½·swap + ½·I is all 0.5; one decoder position sends half to source 0."""
    enc = encoder_rollout(np.array([[[0.0, 1.0], [1.0, 0.0]]]))
    np.testing.assert_allclose(enc, np.full((2, 2), 0.5))
    to_target, to_source = decoder_rollout(np.array([[[1.0]]]), np.array([[[1.0, 0.0]]]), enc)
    np.testing.assert_allclose(to_target, [[0.5]])
    np.testing.assert_allclose(to_source, [[0.25, 0.25]])


def test_rollout_of_a_trace(sentence_trace: Trace) -> None:
    r = rollout(sentence_trace)
    s, t = len(sentence_trace.source), len(sentence_trace.target)
    assert r.encoder.shape == (s, s)
    assert r.decoder.shape == (t, t)
    assert r.decoder_to_source.shape == (t, s)
    np.testing.assert_allclose(r.encoder.sum(axis=-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hstack([r.decoder, r.decoder_to_source]).sum(axis=-1), 1.0, atol=1e-6)


# --- positional -------------------------------------------------------------------------------


def test_cosine_matrix_by_hand() -> None:
    rows = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [-1.0, -1.0]])
    sim = cosine_matrix(rows)
    np.testing.assert_allclose(np.diag(sim), 1.0)
    np.testing.assert_allclose(sim, sim.T)
    assert sim[0, 1] == pytest.approx(0.0)
    assert sim[0, 2] == pytest.approx(1.0)
    assert sim[0, 3] == pytest.approx(-1 / math.sqrt(2))


def test_positional_view_of_a_trace(sentence_trace: Trace) -> None:
    view = positional_view(sentence_trace)
    s, t, d = len(sentence_trace.source), len(sentence_trace.target), sentence_trace.d_model
    p = max(s, t)
    assert view.encodings.shape == (p, d)
    assert view.similarity.shape == (p, p)
    np.testing.assert_allclose(np.diag(view.similarity), 1.0, atol=1e-6)
    assert np.all(np.abs(view.similarity) <= 1.0 + 1e-6)
    assert view.source_token_norm.shape == view.source_position_norm.shape == (s,)
    assert view.target_token_norm.shape == view.target_position_norm.shape == (t,)
    # Each (sin, cos) pair has unit length, so every sinusoidal row has norm √(d/2).
    np.testing.assert_allclose(view.source_position_norm, math.sqrt(d / 2), rtol=1e-5)


# --- activations ------------------------------------------------------------------------------


def test_activation_views_of_a_trace(sentence_trace: Trace) -> None:
    views = activation_views(sentence_trace)
    for stack, length in (("encoder", len(sentence_trace.source)), ("decoder", len(sentence_trace.target))):
        view = views[stack]  # type: ignore[index]
        layers, d_ff = view.ffn_hidden.shape[0], view.ffn_hidden.shape[2]
        assert view.stack == stack
        assert view.residual_norms.shape == (len(view.sites), length)
        assert view.layer_similarity.shape == (layers, length)
        assert np.all(np.abs(view.layer_similarity) <= 1.0 + 1e-6)
        assert view.ffn_sparsity.shape == (layers,)
        assert np.all((view.ffn_sparsity >= 0) & (view.ffn_sparsity <= 1))
        assert view.ffn_token_sparsity.shape == (layers, length)
        assert len(view.top_neurons) == layers
        for layer, neurons in enumerate(view.top_neurons):
            assert len(neurons) == min(8, d_ff)
            means = [n.mean_activation for n in neurons]
            assert means == sorted(means, reverse=True)
            assert all(n.layer == layer and 0 <= n.top_token < length for n in neurons)


def test_stack_view_by_hand() -> None:
    """Layer 0 keeps every vector, layer 1 flips them; half of the FFN units are off."""
    length, d, d_ff = 3, 4, 2
    x = np.arange(1.0, 1.0 + length * d).reshape(length, d)
    hidden = np.zeros((2, length, d_ff))
    hidden[:, :, 0] = 1.0
    acts = StackActivations(
        token_embedding=x,
        positional=np.zeros_like(x),
        residual={"embed": x, "0.self_attn": x, "0.ffn": x, "1.self_attn": -x, "1.ffn": -x},
        ln_in={},
        ffn_hidden=hidden,
    )
    view = stack_view("encoder", acts)
    assert view.sites == ["embed", "0.self_attn", "0.ffn", "1.self_attn", "1.ffn"]
    np.testing.assert_allclose(view.layer_similarity, [[1.0] * length, [-1.0] * length])
    np.testing.assert_allclose(view.ffn_sparsity, [0.5, 0.5])
    np.testing.assert_allclose(view.residual_norms[0], np.linalg.norm(x, axis=-1))
    assert [n.neuron for n in view.top_neurons[0]] == [0, 1]
