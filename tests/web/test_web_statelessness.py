"""The cache is only an optimisation and requests never see each other's tensors.

A shared link is just a GET with the text in it, so it must answer the same after the
cache is emptied (or on another worker); and because a probe is passed down per call,
two sentences analysed at the same time must each get their own trace.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import numpy as np
from fastapi.testclient import TestClient

from app.capture.run import capture_trace
from app.capture.trace import Trace
from app.transformer.checkpoint import LoadedModel
from app.web.service import ModelService, TraceRequest
from tests.web.conftest import make_client, settings_for

SENTENCES = ("I like the red apple.", "Where is the station! We need green tea and a small house.")
MAX_LENGTH = 12


def test_a_permalink_still_answers_after_the_cache_was_cleared(client: TestClient) -> None:
    url = "/api/attention?text=They+see+the+old+train.&kind=cross&layer=1&head=2&max_length=6"
    cache = client.app.state.service.cache  # type: ignore[attr-defined]
    first = client.get(url)
    assert first.status_code == 200
    assert len(cache) >= 1
    cache.clear()
    assert len(cache) == 0
    again = client.get(url)
    assert again.status_code == 200
    assert again.json()["weights"] == first.json()["weights"]
    assert again.json() == first.json()
    assert len(cache) == 1


def _analyze_concurrently(test_client: TestClient, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One thread per body, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    results: list[dict[str, Any]] = [{} for _ in bodies]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            response = test_client.post("/api/analyze", json=bodies[index])
            assert response.status_code == 200, response.text
            results[index] = response.json()
        except BaseException as error:  # re-raised on the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_concurrent_api_analyses_return_their_own_traces(tiny: LoadedModel) -> None:
    """No cache, two workers: both requests really run the model at the same time."""
    bodies = [{"text": text, "max_length": MAX_LENGTH} for text in SENTENCES]
    with make_client({"tiny": tiny}, cache_bytes=0, max_concurrency=2) as uncached:
        sequential = [uncached.post("/api/analyze", json=body).json() for body in bodies]
        for _ in range(3):
            concurrent = _analyze_concurrently(uncached, bodies * 2)
            for index, body in enumerate(concurrent):
                expected = sequential[index % 2]
                assert body["text"] == expected["text"]
                assert body["source_tokens"] == expected["source_tokens"]
                assert body["target_tokens"] == expected["target_tokens"]
                for kind in ("encoder", "decoder", "cross"):
                    np.testing.assert_allclose(
                        body["attention"][kind], expected["attention"][kind], atol=1e-4
                    )


def _assert_same_trace(got: Trace, expected: Trace) -> None:
    assert got.text == expected.text
    assert got.source.ids == expected.source.ids
    assert got.target.ids == expected.target.ids
    for kind, tensors in expected.attention.items():
        np.testing.assert_allclose(got.attention[kind].weights, tensors.weights, atol=1e-6)
        np.testing.assert_allclose(got.attention[kind].q, tensors.q, atol=1e-6)
    np.testing.assert_allclose(got.decoder.ffn_hidden, expected.decoder.ffn_hidden, atol=1e-6)


def test_concurrent_service_traces_match_sequential_ones(tiny: LoadedModel) -> None:
    service = ModelService(settings_for("tiny", cache_bytes=0), {"tiny": tiny})
    expected = [capture_trace(tiny, text, max_length=MAX_LENGTH) for text in SENTENCES]
    got: list[Trace | None] = [None, None]

    async def run_one(index: int) -> None:
        got[index] = await service.trace(TraceRequest(SENTENCES[index], max_length=MAX_LENGTH))

    async def run_both() -> None:
        async with anyio.create_task_group() as group:
            for index in range(len(SENTENCES)):
                group.start_soon(run_one, index)

    anyio.run(run_both)
    for trace, reference in zip(got, expected, strict=True):
        assert trace is not None
        _assert_same_trace(trace, reference)
