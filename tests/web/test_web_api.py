"""Every JSON route on its happy path, through the real app and a tiny in-memory model.

The numbers served must be the trace's numbers (rounded to 4 decimals), and their shapes
must match the token lists served beside them, because the front end draws one from the other.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.capture.run import capture_trace
from app.transformer.checkpoint import LoadedModel
from tests.web.conftest import MAX_LENGTH, TEXT

ROUNDING = 1e-4  # values are rounded to 4 decimals


def params(**extra: Any) -> dict[str, Any]:
    return {"text": TEXT, "max_length": MAX_LENGTH, **extra}


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def shape(nested: Any) -> tuple[int, ...]:
    """Shape of a rectangular nested list (checked to be rectangular)."""
    array = np.array(nested, dtype=float)
    return tuple(array.shape)


def leaves(nested: Any) -> list[Any]:
    if isinstance(nested, list):
        return [leaf for item in nested for leaf in leaves(item)]
    return [nested]


def test_healthz(client: TestClient) -> None:
    assert ok(client.get("/healthz")) == {"status": "ok", "model": "tiny", "device": "cpu"}


def test_models_lists_each_loaded_model(client: TestClient, tiny: LoadedModel) -> None:
    body = ok(client.get("/api/models"))
    assert [m["name"] for m in body] == ["tiny", "tiny-trained"]
    info = body[0]
    c = tiny.config
    assert (info["d_model"], info["n_heads"], info["d_ff"]) == (c.d_model, c.n_heads, c.d_ff)
    assert (info["n_encoder_layers"], info["n_decoder_layers"]) == (2, 2)
    assert info["vocab_size"] == tiny.tokenizer.vocab_size
    assert info["parameters"] == tiny.model.num_parameters()
    assert info["metrics"] == {}


def test_analyze_returns_tokens_steps_and_every_head(client: TestClient, tiny: LoadedModel) -> None:
    body = ok(client.post("/api/analyze", json=params()))
    trace = capture_trace(tiny, TEXT, max_length=MAX_LENGTH)
    for key in ("source_tokens", "target_tokens", "translation", "steps", "attention"):
        assert key in body
    assert body["translation"] == trace.translation
    assert body["model"] == "tiny" and body["text"] == TEXT and body["beam_size"] == 1
    s, t = len(body["source_tokens"]), len(body["target_tokens"])
    assert (s, t) == (len(trace.source), len(trace.target))
    assert [tok["id"] for tok in body["source_tokens"]] == trace.source.ids
    assert [tok["index"] for tok in body["target_tokens"]] == list(range(t))
    assert len(body["steps"]) == t
    assert body["layers"] == {"encoder": 2, "decoder": 2, "cross": 2} and body["heads"] == 4

    attention = body["attention"]
    assert set(attention) == {"encoder", "decoder", "cross"}
    expected = {"encoder": (2, 4, s, s), "decoder": (2, 4, t, t), "cross": (2, 4, t, s)}
    for kind, dims in expected.items():
        assert shape(attention[kind]) == dims, kind
        assert all(type(x) is float for x in leaves(attention[kind])), f"{kind}: plain floats only"
        np.testing.assert_allclose(attention[kind], trace.attention[kind].weights, atol=ROUNDING)
        np.testing.assert_allclose(np.sum(attention[kind], axis=-1), 1.0, atol=ROUNDING * dims[-1])


def test_analyze_with_another_model_and_beam(client: TestClient, tiny_trained: LoadedModel) -> None:
    text = "They want a small house."
    body = ok(client.post("/api/analyze", json={"text": text, "model": "tiny-trained", "beam_size": 3}))
    trace = capture_trace(tiny_trained, text, beam_size=3)
    assert body["model"] == "tiny-trained"
    assert body["finished"] is True
    assert body["beam_size"] == 3
    assert body["translation"] == trace.translation
    assert body["steps"][-1]["token"] == "</s>"


def test_summary_is_analyze_without_attention(client: TestClient) -> None:
    analyzed = ok(client.post("/api/analyze", json=params()))
    summary = ok(client.get("/api/summary", params=params()))
    assert "attention" not in summary
    assert summary == {k: v for k, v in analyzed.items() if k != "attention"}
    for step in summary["steps"]:
        assert 0 < step["probability"] <= 1
        assert [a["probability"] for a in step["top"]] == sorted(
            (a["probability"] for a in step["top"]), reverse=True
        )


@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross"])
def test_attention_per_head_and_mean(client: TestClient, kind: str) -> None:
    analyzed = ok(client.post("/api/analyze", json=params()))
    s, t = len(analyzed["source_tokens"]), len(analyzed["target_tokens"])
    rows, cols = {"encoder": (s, s), "decoder": (t, t), "cross": (t, s)}[kind]
    per_head = []
    for head in range(4):
        body = ok(client.get("/api/attention", params=params(kind=kind, layer=1, head=head)))
        assert (body["kind"], body["layer"], body["head"]) == (kind, 1, head)
        assert (len(body["rows"]), len(body["cols"])) == (rows, cols)
        assert shape(body["weights"]) == (rows, cols)
        assert body["weights"] == analyzed["attention"][kind][1][head]
        assert body["row_axis"] and body["col_axis"]
        per_head.append(body["weights"])
    mean = ok(client.get("/api/attention", params=params(kind=kind, layer=1, head="mean")))
    assert mean["head"] == "mean"
    np.testing.assert_allclose(mean["weights"], np.mean(per_head, axis=0), atol=1e-3)


def test_heads_has_every_head_and_layer_means(client: TestClient) -> None:
    body = ok(client.get("/api/heads", params=params()))
    assert len(body) == 3 * 2 * (4 + 1)
    assert {(h["kind"], h["layer"], h["head"]) for h in body} == {
        (kind, layer, head)
        for kind in ("encoder", "decoder", "cross")
        for layer in (0, 1)
        for head in range(-1, 4)
    }
    for h in body:
        assert 0 <= h["normalized_entropy"] <= 1
        assert isinstance(h["label"], str) and h["label"]


def test_rollout_shapes_and_rows(client: TestClient) -> None:
    body = ok(client.get("/api/rollout", params=params()))
    s, t = len(body["source_tokens"]), len(body["target_tokens"])
    assert shape(body["encoder"]) == (s, s)
    assert shape(body["decoder"]) == (t, t)
    assert shape(body["decoder_to_source"]) == (t, s)
    np.testing.assert_allclose(np.sum(body["encoder"], axis=-1), 1.0, atol=ROUNDING * s)
    split = np.hstack([body["decoder"], body["decoder_to_source"]]).sum(axis=-1)
    np.testing.assert_allclose(split, 1.0, atol=ROUNDING * (s + t))


def test_positional(client: TestClient, tiny: LoadedModel) -> None:
    body = ok(client.get("/api/positional", params=params()))
    s, t = len(body["source_tokens"]), len(body["target_tokens"])
    p = max(s, t)
    assert shape(body["encodings"]) == (p, tiny.config.d_model)
    assert shape(body["similarity"]) == (p, p)
    np.testing.assert_allclose(np.diag(body["similarity"]), 1.0, atol=ROUNDING)
    assert len(body["source_token_norm"]) == len(body["source_position_norm"]) == s
    assert len(body["target_token_norm"]) == len(body["target_position_norm"]) == t


@pytest.mark.parametrize(("stack", "ffn_layer"), [("encoder", 0), ("decoder", 1)])
def test_activations(client: TestClient, tiny: LoadedModel, stack: str, ffn_layer: int) -> None:
    body = ok(client.get("/api/activations", params=params(stack=stack, ffn_layer=ffn_layer)))
    length = len(body["tokens"])
    per_layer = ["self_attn", "ffn"] if stack == "encoder" else ["self_attn", "cross_attn", "ffn"]
    assert body["stack"] == stack and body["ffn_layer"] == ffn_layer
    assert body["sites"] == ["embed"] + [f"{layer}.{sub}" for layer in (0, 1) for sub in per_layer]
    assert shape(body["residual_norms"]) == (len(body["sites"]), length)
    assert shape(body["layer_similarity"]) == (2, length)
    assert all(-1 <= x <= 1 for x in leaves(body["layer_similarity"]))
    assert len(body["ffn_sparsity"]) == 2 and all(0 <= x <= 1 for x in body["ffn_sparsity"])
    assert shape(body["ffn_token_sparsity"]) == (2, length)
    assert shape(body["ffn_hidden"]) == (length, tiny.config.d_ff)
    assert [len(layer) for layer in body["top_neurons"]] == [8, 8]


@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross"])
def test_step_by_step_reproduces_the_head(client: TestClient, kind: str) -> None:
    """softmax(masked scaled scores) = weights, dot/√d_k = scaled, weights·V = output."""
    rows = len(
        ok(client.get("/api/summary", params=params()))[
            "source_tokens" if kind == "encoder" else "target_tokens"
        ]
    )
    for query in sorted({0, rows // 2, rows - 1}):
        body = ok(client.get("/api/step", params=params(kind=kind, layer=1, head=2, query=query)))
        d_k = body["d_k"]
        assert d_k == 8
        assert body["query"] == query and body["query_token"]["index"] == query
        q, k, v = np.array(body["q"]), np.array(body["k"]), np.array(body["v"])
        assert q.shape == (d_k,) and k.shape == v.shape == (len(body["keys"]), d_k)
        np.testing.assert_allclose(k @ q, body["dot"], atol=2e-3)
        np.testing.assert_allclose(np.array(body["dot"]) / math.sqrt(d_k), body["scaled"], atol=1e-3)
        allowed = np.array(body["allowed"])
        if kind == "decoder":
            assert allowed.tolist() == [j <= query for j in range(len(allowed))]
        else:
            assert allowed.all()
        masked = np.where(allowed, body["scaled"], -np.inf)
        softmax = np.exp(masked - masked.max())
        np.testing.assert_allclose(softmax / softmax.sum(), body["weights"], atol=1e-3)
        np.testing.assert_allclose(np.array(body["weights"]) @ v, body["output"], atol=1e-3)


def test_ablate(client: TestClient) -> None:
    heads = [{"kind": kind, "layer": 0, "head": 1} for kind in ("encoder", "decoder", "cross")]
    body = ok(client.post("/api/ablate", json={"text": TEXT, "heads": heads}))
    assert body["heads"] == heads
    assert body["changed"] == (body["original_tokens"] != body["ablated_tokens"])
    assert isinstance(body["original_log_prob"], float)
    assert isinstance(body["ablated_log_prob_of_original"], float)
    assert body["original_log_prob"] != body["ablated_log_prob_of_original"]


def test_export_json(client: TestClient) -> None:
    response = client.get("/api/export", params=params(format="json"))
    body = ok(response)
    assert "attachment" in response.headers["content-disposition"]
    assert body["text"] == TEXT
    arrays = body["arrays"]
    s, t = len(body["source"]["ids"]), len(body["target"]["ids"])
    assert shape(arrays["attention.encoder.weights"]) == (2, 4, s, s)
    assert shape(arrays["attention.cross.weights"]) == (2, 4, t, s)
    assert len(body["steps"]) == t


def test_export_npz_loads_with_numpy(client: TestClient, tiny: LoadedModel) -> None:
    response = client.get("/api/export", params=params(format="npz"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].endswith('.npz"')
    with np.load(io.BytesIO(response.content)) as archive:
        assert "attention.encoder.weights" in archive.files and "header" in archive.files
        header = json.loads(str(archive["header"]))
        weights = archive["attention.encoder.weights"]
    trace = capture_trace(tiny, TEXT, max_length=MAX_LENGTH)
    assert header["text"] == TEXT and header["translation"] == trace.translation
    np.testing.assert_array_equal(weights, trace.attention["encoder"].weights)


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "a & b"])
def test_markup_in_text_is_just_data(client: TestClient, text: str) -> None:
    body = ok(client.post("/api/analyze", json={"text": text, "max_length": 4}))
    assert body["text"] == text
    pieces = "".join(tok["text"] for tok in body["source_tokens"][:-1]).replace("▁", " ")
    assert pieces.strip().replace(" ", "") == text.replace(" ", "")


def test_a_lone_surrogate_is_answered_not_crashed(client: TestClient) -> None:
    """JSON may escape an unpaired surrogate; it cannot be sent back as UTF-8 unless replaced."""
    response = client.post(
        "/api/analyze",
        content=b'{"text": "caf\\ud800", "max_length": 4}',
        headers={"content-type": "application/json"},
    )
    assert ok(response)["text"] == "caf\ufffd"
