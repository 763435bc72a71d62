"""Every bad input gets the documented 4xx JSON body and never a 500.

The clients raise server exceptions into the test, so an unhandled error fails here
even before its status is compared.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient

from app.transformer.checkpoint import LoadedModel
from tests.web.conftest import TEXT

OK_ATTENTION = {"text": TEXT, "kind": "encoder", "layer": 0, "head": 0, "max_length": 4}
OK_STEP = {**OK_ATTENTION, "query": 0}
HEAD = {"kind": "encoder", "layer": 0, "head": 0}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`base` with keys changed; a value of None drops the key."""
    merged = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not None}


class Call(NamedTuple):
    method: str
    path: str
    kwargs: dict[str, Any]


def post(path: str, body: Any) -> Call:
    return Call("POST", path, {"json": body})


def get(path: str, params: dict[str, Any]) -> Call:
    return Call("GET", path, {"params": params})


ANALYZE, ATTENTION, STEP, ABLATE = "/api/analyze", "/api/attention", "/api/step", "/api/ablate"
MALFORMED = Call(
    "POST", ANALYZE, {"content": b'{"text": "hi"', "headers": {"content-type": "application/json"}}
)

# id -> (request, status, error code)
CASES: dict[str, tuple[Call, int, str]] = {
    "empty text": (post(ANALYZE, {"text": ""}), 422, "empty_text"),
    "whitespace text": (post(ANALYZE, {"text": " \t\n\u3000 "}), 422, "empty_text"),
    "text over max_chars": (post(ANALYZE, {"text": "a " * 501}), 422, "text_too_long"),
    "unknown model": (post(ANALYZE, {"text": TEXT, "model": "nope"}), 404, "unknown_model"),
    "beam_size 0": (post(ANALYZE, {"text": TEXT, "beam_size": 0}), 422, "invalid_beam"),
    "beam_size 9": (post(ANALYZE, {"text": TEXT, "beam_size": 9}), 422, "invalid_beam"),
    "beam_size huge": (post(ANALYZE, {"text": TEXT, "beam_size": 10**12}), 422, "invalid_beam"),
    "max_length 0": (post(ANALYZE, {"text": TEXT, "max_length": 0}), 422, "invalid_max_length"),
    "max_length negative": (post(ANALYZE, {"text": TEXT, "max_length": -5}), 422, "invalid_max_length"),
    "max_length = max_len": (post(ANALYZE, {"text": TEXT, "max_length": 256}), 422, "invalid_max_length"),
    "malformed JSON": (MALFORMED, 422, "invalid_request"),
    "body not an object": (post(ANALYZE, ["hi"]), 422, "invalid_request"),
    "text is a number": (post(ANALYZE, {"text": 5}), 422, "invalid_request"),
    "text is null": (post(ANALYZE, {"text": None}), 422, "invalid_request"),
    "missing text": (post(ANALYZE, {"beam_size": 1}), 422, "invalid_request"),
    "beam_size a word": (post(ANALYZE, {"text": TEXT, "beam_size": "two"}), 422, "invalid_request"),
    "summary without text": (get("/api/summary", {}), 422, "invalid_request"),
    "summary empty text": (get("/api/summary", {"text": ""}), 422, "empty_text"),
    "summary unknown model": (get("/api/summary", {"text": TEXT, "model": "x"}), 404, "unknown_model"),
    "kind invalid": (get(ATTENTION, _with(OK_ATTENTION, kind="self")), 422, "invalid_request"),
    "layer too big": (get(ATTENTION, _with(OK_ATTENTION, layer=2)), 422, "bad_layer"),
    "layer negative": (get(ATTENTION, _with(OK_ATTENTION, layer=-1)), 422, "bad_layer"),
    "layer huge": (get(ATTENTION, _with(OK_ATTENTION, layer=10**30)), 422, "bad_layer"),
    "layer a word": (get(ATTENTION, _with(OK_ATTENTION, layer="one")), 422, "invalid_request"),
    "head too big": (get(ATTENTION, _with(OK_ATTENTION, head=4)), 422, "bad_head"),
    "head negative": (get(ATTENTION, _with(OK_ATTENTION, head=-1)), 422, "bad_head"),
    "head x": (get(ATTENTION, _with(OK_ATTENTION, head="x")), 422, "invalid_request"),
    "head 1.5": (get(ATTENTION, _with(OK_ATTENTION, head="1.5")), 422, "invalid_request"),
    "head missing": (get(ATTENTION, _with(OK_ATTENTION, head=None)), 422, "invalid_request"),
    "attention beam 0": (get(ATTENTION, _with(OK_ATTENTION, beam_size=0)), 422, "invalid_beam"),
    "attention max_length 0": (get(ATTENTION, _with(OK_ATTENTION, max_length=0)), 422, "invalid_max_length"),
    "step query too big": (get(STEP, _with(OK_STEP, query=99)), 422, "bad_query"),
    "step query negative": (get(STEP, _with(OK_STEP, query=-1)), 422, "bad_query"),
    "step head mean": (get(STEP, _with(OK_STEP, head="mean")), 422, "invalid_request"),
    "step layer too big": (get(STEP, _with(OK_STEP, kind="cross", layer=5)), 422, "bad_layer"),
    "ffn_layer too big": (get("/api/activations", {"text": TEXT, "ffn_layer": 2}), 422, "bad_layer"),
    "ffn_layer negative": (get("/api/activations", {"text": TEXT, "ffn_layer": -1}), 422, "bad_layer"),
    "stack invalid": (get("/api/activations", {"text": TEXT, "stack": "middle"}), 422, "invalid_request"),
    "export xml": (get("/api/export", {"text": TEXT, "format": "xml"}), 422, "invalid_request"),
    "ablate no heads": (post(ABLATE, {"text": TEXT, "heads": []}), 422, "invalid_request"),
    "ablate heads not a list": (post(ABLATE, {"text": TEXT, "heads": "0"}), 422, "invalid_request"),
    "ablate heads missing": (post(ABLATE, {"text": TEXT}), 422, "invalid_request"),
    "ablate head too big": (post(ABLATE, {"text": TEXT, "heads": [_with(HEAD, head=4)]}), 422, "bad_head"),
    "ablate head negative": (post(ABLATE, {"text": TEXT, "heads": [_with(HEAD, head=-1)]}), 422, "bad_head"),
    "ablate layer too big": (
        post(ABLATE, {"text": TEXT, "heads": [HEAD, _with(HEAD, kind="cross", layer=2)]}),
        422,
        "bad_layer",
    ),
    "ablate bad kind": (
        post(ABLATE, {"text": TEXT, "heads": [_with(HEAD, kind="both")]}),
        422,
        "invalid_request",
    ),
    "ablate extra field": (
        post(ABLATE, {"text": TEXT, "heads": [_with(HEAD, w=0.5)]}),
        422,
        "invalid_request",
    ),
    "ablate empty text": (post(ABLATE, {"text": "  ", "heads": [HEAD]}), 422, "empty_text"),
    "unknown route": (Call("GET", "/api/nope", {}), 404, "http_error"),
    "wrong method": (Call("GET", ANALYZE, {}), 405, "http_error"),
}


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert isinstance(message, str) and message.strip() and "\n" not in message
    assert "Traceback" not in message


@pytest.mark.parametrize(("call", "status", "code"), list(CASES.values()), ids=list(CASES))
def test_bad_input_gets_a_documented_error(client: TestClient, call: Call, status: int, code: str) -> None:
    assert_error(client.request(call.method, call.path, **call.kwargs), status, code)


def test_character_limit_is_inclusive(strict_client: TestClient) -> None:
    """max_chars=40: 41 characters are refused before tokenizing; 40 pass that check."""
    response = strict_client.post("/api/analyze", json={"text": "x" * 41})
    assert_error(response, 422, "text_too_long")
    assert "characters" in response.json()["error"]["message"]
    at_limit = strict_client.post("/api/analyze", json={"text": "x" * 40, "max_length": 2}).json()
    assert "characters" not in at_limit.get("error", {}).get("message", "")


def test_token_limit_counts_the_end_token(strict_client: TestClient, tiny: LoadedModel) -> None:
    """max_tokens=6: a text of 5 tokens (+ </s>) passes, one of 6 (+ </s>) does not."""
    fits, too_long = "I like the red apple", "I like the red apple."
    assert len(tiny.tokenizer.encode(fits).ids) == 5
    assert len(tiny.tokenizer.encode(too_long).ids) == 6
    assert strict_client.post("/api/analyze", json={"text": fits, "max_length": 2}).status_code == 200
    response = strict_client.post("/api/analyze", json={"text": too_long, "max_length": 2})
    assert_error(response, 422, "text_too_long")
    assert "6" in response.json()["error"]["message"]
    long_get = strict_client.get("/api/attention", params={**OK_ATTENTION, "text": too_long})
    assert_error(long_get, 422, "text_too_long")
