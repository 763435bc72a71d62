"""Head ablation reports a consistent before/after, and the trace cache keeps its byte budget."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import cast

import pytest
import torch

from app.capture.ablation import HeadRef, ablate, build_head_mask
from app.capture.cache import TraceCache
from app.capture.run import capture_trace
from app.capture.trace import Trace
from app.transformer.checkpoint import LoadedModel
from app.transformer.probes import ATTENTION_KINDS

TEXT = "They want a small house."


def _every_head(loaded: LoadedModel) -> list[HeadRef]:
    c = loaded.config
    layers = {"encoder": c.n_encoder_layers, "decoder": c.n_decoder_layers, "cross": c.n_decoder_layers}
    return [
        HeadRef(kind, layer, head)
        for kind in ATTENTION_KINDS
        for layer in range(layers[kind])
        for head in range(c.n_heads)
    ]


# --- ablation ---------------------------------------------------------------------------------


def test_head_mask_zeroes_exactly_the_chosen_heads(tiny: LoadedModel) -> None:
    refs = [HeadRef("cross", 1, 3), HeadRef("encoder", 0, 0)]
    mask = build_head_mask(tiny, refs)
    for kind in ATTENTION_KINDS:
        table = getattr(mask, kind)
        assert isinstance(table, torch.Tensor)
        expected = torch.ones_like(table)
        for ref in refs:
            if ref.kind == kind:
                expected[ref.layer, ref.head] = 0.0
        assert torch.equal(table, expected)


def test_silencing_every_head_changes_the_log_prob_of_the_original_output(tiny_trained: LoadedModel) -> None:
    heads = _every_head(tiny_trained)
    result = ablate(tiny_trained, TEXT, heads)
    trace = capture_trace(tiny_trained, TEXT)
    assert trace.finished
    assert result.heads == heads
    assert result.original == trace.translation
    assert result.original_tokens == [s.token for s in trace.steps[:-1]], "all but the final </s>"
    assert result.changed == (result.ablated_tokens != result.original_tokens)
    assert result.ablated_log_prob_of_original < result.original_log_prob
    # The teacher-forced log-probability is the sum of the trace's per-step log-probabilities.
    expected = sum(math.log(s.probability) for s in trace.steps)
    assert result.original_log_prob == pytest.approx(expected, abs=1e-3)
    assert result.original_log_prob <= 0.0


def test_silencing_every_head_of_an_untrained_model_still_changes_the_score(tiny: LoadedModel) -> None:
    result = ablate(tiny, "I like the red apple.", _every_head(tiny))
    assert result.ablated_log_prob_of_original != result.original_log_prob
    assert result.changed == (result.original != result.ablated)


def test_an_empty_ablation_changes_nothing(tiny_trained: LoadedModel) -> None:
    result = ablate(tiny_trained, TEXT, [])
    assert not result.changed
    assert result.ablated == result.original
    assert result.ablated_log_prob_of_original == result.original_log_prob


# --- cache ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sized:
    """Stands in for a Trace: the cache only ever asks a trace for its size."""

    size: int

    def nbytes(self) -> int:
        return self.size


def _trace(size: int) -> Trace:
    return cast(Trace, _Sized(size))


def test_least_recently_used_is_evicted_first() -> None:
    cache = TraceCache(max_bytes=300)
    a, b, c, d = (_trace(100) for _ in range(4))
    cache.put("a", a)
    cache.put("b", b)
    cache.put("c", c)
    assert cache.get("a") is a  # "a" is now the most recently used; "b" the least
    cache.put("d", d)
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == [a, c, d]
    assert len(cache) == 3
    assert cache.size_bytes == 300


def test_byte_budget_evicts_as_many_old_entries_as_needed() -> None:
    cache = TraceCache(max_bytes=250)
    for key in "abc":
        cache.put(key, _trace(80))
    cache.put("big", _trace(200))
    assert cache.get("big") is not None
    assert all(cache.get(key) is None for key in "abc")
    assert cache.size_bytes == 200


def test_a_trace_larger_than_the_budget_is_not_stored_and_evicts_nothing() -> None:
    cache = TraceCache(max_bytes=100)
    small = _trace(60)
    cache.put("small", small)
    cache.put("huge", _trace(101))
    assert cache.get("huge") is None
    assert cache.get("small") is small
    assert cache.size_bytes == 60


def test_a_zero_budget_stores_nothing() -> None:
    cache = TraceCache(max_bytes=0)
    cache.put("a", _trace(1))
    assert len(cache) == 0 and cache.get("a") is None


def test_replacing_a_key_counts_its_bytes_once() -> None:
    cache = TraceCache(max_bytes=1000)
    cache.put("a", _trace(100))
    newer = _trace(300)
    cache.put("a", newer)
    assert cache.get("a") is newer
    assert (len(cache), cache.size_bytes) == (1, 300)
    cache.clear()
    assert (len(cache), cache.size_bytes) == (0, 0)


def test_a_real_trace_is_cached_by_its_own_size(sentence_trace: Trace) -> None:
    cache = TraceCache(max_bytes=sentence_trace.nbytes())
    cache.put(("tiny", "text"), sentence_trace)
    assert cache.get(("tiny", "text")) is sentence_trace
    too_small = TraceCache(max_bytes=sentence_trace.nbytes() - 1)
    too_small.put("k", sentence_trace)
    assert len(too_small) == 0


def test_concurrent_puts_and_gets_keep_the_books_straight() -> None:
    """Many threads hammering one cache: no error, and the byte count matches what is held."""
    budget, keys = 2_000, [f"k{i}" for i in range(40)]
    sizes = {key: 50 + 10 * (i % 7) for i, key in enumerate(keys)}
    cache = TraceCache(max_bytes=budget)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(2_000):
                key = rng.choice(keys)
                if rng.random() < 0.5:
                    cache.put(key, _trace(sizes[key]))
                else:
                    found = cache.get(key)
                    assert found is None or found.nbytes() == sizes[key]
        except BaseException as error:  # reported on the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    held = [key for key in keys if cache.get(key) is not None]
    assert cache.size_bytes == sum(sizes[key] for key in held) <= budget
    assert len(cache) == len(held)
