"""Properties every real trace must have, whatever the model, sentence or decoding options.

The views and the API trust these (rows that sum to 1, causal decoder rows, one step per
decoder position, offsets that index the text), so they are checked on traces from an
untrained model (stops at the length limit), a fitted one (stops at </s>), beam search
and an input with characters the vocabulary has never seen.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.capture.run import capture_trace
from app.capture.trace import Trace
from app.transformer.checkpoint import LoadedModel
from app.transformer.probes import ATTENTION_KINDS
from tests.capture.conftest import EMOJI_SENTENCE

BOS, EOS = 2, 3

# name -> (fitted model?, text, beam_size, max_length)
CASES: dict[str, tuple[bool, str, int, int | None]] = {
    "untrained-greedy": (False, "I like the red apple.", 1, None),
    "untrained-short-limit": (False, "Where is the station!", 1, 5),
    "untrained-beam": (False, "We need green tea.", 3, 8),
    "trained-greedy": (True, "They want a small house.", 1, None),
    "trained-beam": (True, "You see the old train.", 3, None),
    "unknown-chars": (False, EMOJI_SENTENCE, 1, 6),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def trace(request: pytest.FixtureRequest, tiny: LoadedModel, tiny_trained: LoadedModel) -> Trace:
    trained, text, beam, max_length = CASES[request.param]
    return capture_trace(tiny_trained if trained else tiny, text, beam_size=beam, max_length=max_length)


def test_every_attention_row_sums_to_one(trace: Trace) -> None:
    for kind in ATTENTION_KINDS:
        sums = trace.attention[kind].weights.sum(axis=-1)
        np.testing.assert_allclose(sums, 1.0, atol=1e-5, err_msg=kind)


def test_decoder_self_attention_is_causal(trace: Trace) -> None:
    weights = trace.attention["decoder"].weights  # (layers, H, T, T)
    t = weights.shape[-1]
    above = ~np.tri(t, dtype=bool)
    assert np.all(weights[..., above] == 0.0), "a decoder position attended to a later one"
    assert np.array_equal(trace.attention["decoder"].mask, np.tri(t, dtype=bool))


def test_encoder_and_cross_attention_may_see_every_source_token(trace: Trace) -> None:
    assert trace.attention["encoder"].mask.all()
    assert trace.attention["cross"].mask.all()


def test_shapes_match_token_counts(trace: Trace) -> None:
    s, t, h = len(trace.source), len(trace.target), trace.n_heads
    d_head = trace.d_model // h
    expected_rows_cols = {"encoder": (s, s), "decoder": (t, t), "cross": (t, s)}
    for kind, (rows, cols) in expected_rows_cols.items():
        a = trace.attention[kind]
        layers = trace.n_layers[kind]
        assert a.weights.shape == (layers, h, rows, cols), kind
        assert a.scores.shape == a.weights.shape, kind
        assert a.mask.shape == (rows, cols), kind
        assert a.q.shape == (layers, h, rows, d_head), kind
        assert a.k.shape == a.v.shape == (layers, h, cols, d_head), kind
        assert a.context.shape == (layers, h, rows, d_head), kind
    assert len(trace.source.display) == len(trace.source.offsets) == len(trace.source.unknown) == s
    assert len(trace.target.display) == len(trace.target.offsets) == len(trace.target.unknown) == t


def test_recorded_weights_are_the_softmax_that_multiplied_v(trace: Trace) -> None:
    for kind in ATTENTION_KINDS:
        a = trace.attention[kind]
        masked = np.where(a.mask, a.scores, -np.inf)
        exp = np.exp(masked - masked.max(axis=-1, keepdims=True))
        np.testing.assert_allclose(exp / exp.sum(axis=-1, keepdims=True), a.weights, atol=1e-5)
        np.testing.assert_allclose(a.weights @ a.v, a.context, atol=1e-5)


def test_one_step_per_decoder_position(trace: Trace) -> None:
    assert len(trace.steps) == len(trace.target)
    assert [s.position for s in trace.steps] == list(range(len(trace.target)))
    # Row t of the decoder produced the token that is fed in at row t + 1.
    assert [s.token_id for s in trace.steps[:-1]] == trace.target.ids[1:]


def test_step_probabilities_and_top_five(trace: Trace) -> None:
    for step in trace.steps:
        assert 0.0 < step.probability <= 1.0
        assert len(step.top) == 5
        top = [a.probability for a in step.top]
        assert top == sorted(top, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in top)
        assert step.probability <= top[0] + 1e-6
        if trace.beam_size == 1:
            assert step.token_id == step.top[0].token_id, "greedy must emit the most likely token"


def test_finished_traces_end_with_eos_and_unfinished_ones_never_emit_it(trace: Trace) -> None:
    emitted = [s.token_id for s in trace.steps]
    if trace.finished:
        assert emitted[-1] == EOS and EOS not in emitted[:-1]
    else:
        assert EOS not in emitted


def test_source_ends_with_eos_and_target_starts_with_bos(trace: Trace) -> None:
    assert trace.source.ids[-1] == EOS
    assert EOS not in trace.source.ids[:-1]
    assert trace.target.ids[0] == BOS
    assert BOS not in trace.target.ids[1:]


def test_source_offsets_index_into_the_text(trace: Trace) -> None:
    text = trace.text
    offsets = trace.source.offsets
    assert offsets[-1] == (len(text), len(text)), "</s> sits at the end of the text"
    starts = [start for start, _ in offsets]
    assert starts == sorted(starts)
    for display, (start, end), unknown in zip(
        trace.source.display[:-1], offsets[:-1], trace.source.unknown[:-1], strict=True
    ):
        assert 0 <= start <= end <= len(text)
        piece = display.replace("▁", "")
        if unknown:
            assert display == text[start:end].strip()
        elif piece:  # a bare word-start marker may map onto a space or a neighbour
            assert text[start:end].strip() == piece


def test_target_offsets_cover_the_translation(trace: Trace) -> None:
    offsets = trace.target.offsets
    assert offsets[0] == (0, 0), "<s> has no characters"
    for (_, previous_end), (start, end) in itertools.pairwise(offsets):
        assert start == previous_end
        assert start <= end <= len(trace.translation)
    if trace.finished:
        assert offsets[-1][1] == len(trace.translation)


def test_metadata(trace: Trace, tiny: LoadedModel) -> None:
    assert trace.text in {text for _, text, _, _ in CASES.values()}
    assert trace.n_heads == tiny.config.n_heads
    assert trace.d_model == tiny.config.d_model
    assert trace.n_layers == {"encoder": 2, "decoder": 2, "cross": 2}
    assert trace.nbytes() > sum(a.weights.nbytes for a in trace.attention.values())


def test_activation_shapes(trace: Trace, tiny: LoadedModel) -> None:
    c = tiny.config
    for stack, length, sublayers in (
        (trace.encoder, len(trace.source), ("self_attn", "ffn")),
        (trace.decoder, len(trace.target), ("self_attn", "cross_attn", "ffn")),
    ):
        assert stack.token_embedding.shape == stack.positional.shape == (length, c.d_model)
        expected_sites = ["embed"] + [f"{layer}.{sub}" for layer in range(2) for sub in sublayers]
        assert list(stack.residual) == expected_sites
        assert list(stack.ln_in) == expected_sites[1:]
        assert all(v.shape == (length, c.d_model) for v in stack.residual.values())
        assert stack.ffn_hidden.shape == (2, length, c.d_ff)
        assert (stack.ffn_hidden >= 0).all(), "ReLU outputs"


def test_unknown_characters_are_flagged_and_shown_as_typed(tiny: LoadedModel) -> None:
    trace = capture_trace(tiny, "Tea 😀 and 🍵!", max_length=3)
    source = trace.source
    flagged = [d for d, unknown in zip(source.display, source.unknown, strict=True) if unknown]
    assert flagged == ["😀", "🍵"]
    for display, (start, end), unknown in zip(source.display, source.offsets, source.unknown, strict=True):
        if unknown:
            assert trace.text[start:end] == display
    assert all(source.ids[i] == 1 for i, unknown in enumerate(source.unknown) if unknown), "<unk> is id 1"


def test_lone_surrogates_become_replacement_characters(tiny: LoadedModel) -> None:
    """A JSON body may carry "\\ud800"; the trace must stay encodable as UTF-8."""
    trace = capture_trace(tiny, "caf\ud800 ok", max_length=3)
    assert trace.text == "caf\ufffd ok"
    trace.text.encode("utf-8")
    assert all(isinstance(d.encode("utf-8"), bytes) for d in trace.source.display)
