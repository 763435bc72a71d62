"""Session-scoped tiny models and traces for the capture tests (built in memory, never from disk)."""

from __future__ import annotations

import pytest

from app.capture.run import capture_trace
from app.capture.trace import Trace
from app.transformer.checkpoint import LoadedModel

SENTENCE = "I like the red apple."
EMOJI_SENTENCE = "Hello 😀 you"


@pytest.fixture(scope="session")
def sentence_trace(tiny: LoadedModel) -> Trace:
    return capture_trace(tiny, SENTENCE, max_length=12)


@pytest.fixture(scope="session")
def emoji_trace(tiny: LoadedModel) -> Trace:
    return capture_trace(tiny, EMOJI_SENTENCE, max_length=6)
