"""The trace shows what the model computed while it generated, not a look-alike.

`capture_trace` records one teacher-forced pass over the finished output. Here the
decoder is run again the way generation runs it, one growing prefix at a time, and the
last query row of every step must equal the matching row of the trace for every layer
and head; the argmax of every step must be the token the trace says was emitted.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.capture.recorder import Recorder
from app.capture.run import capture_trace
from app.transformer.checkpoint import LoadedModel
from app.transformer.probes import attention_name

CASES = [
    (False, "I like the red apple.", 10),
    (False, "Hello 😀 you", 6),
    (True, "They want a small house.", None),
    (True, "The girl needs cold water.", None),
]


@pytest.mark.parametrize(("trained", "text", "max_length"), CASES)
@torch.no_grad()
def test_each_generation_step_matches_the_trace_row(
    trained: bool, text: str, max_length: int | None, tiny: LoadedModel, tiny_trained: LoadedModel
) -> None:
    loaded = tiny_trained if trained else tiny
    model, c = loaded.model, loaded.config
    trace = capture_trace(loaded, text, max_length=max_length)
    src = torch.tensor([trace.source.ids])

    encoder_probe = Recorder()
    memory = model.encode(src, probe=encoder_probe)
    for layer in range(c.n_encoder_layers):
        np.testing.assert_allclose(
            encoder_probe.get(attention_name("encoder", layer, "weights")),
            trace.attention["encoder"].weights[layer],
            atol=1e-5,
        )

    prefix = [c.bos_id]
    for t in range(len(trace.target)):
        assert prefix == trace.target.ids[: t + 1]
        probe = Recorder()
        logits = model.decode(torch.tensor([prefix]), memory, src, probe=probe)[0, -1]  # (V,)
        for layer in range(c.n_decoder_layers):
            own = probe.get(attention_name("decoder", layer, "weights"))[:, -1]  # (H, t + 1)
            row = trace.attention["decoder"].weights[layer, :, t]  # (H, T)
            np.testing.assert_allclose(own, row[:, : t + 1], atol=1e-5, err_msg=f"decoder {layer} step {t}")
            assert np.all(row[:, t + 1 :] == 0.0)
            cross = probe.get(attention_name("cross", layer, "weights"))[:, -1]  # (H, S)
            np.testing.assert_allclose(
                cross,
                trace.attention["cross"].weights[layer, :, t],
                atol=1e-5,
                err_msg=f"cross {layer} step {t}",
            )
        next_id = int(logits.argmax())
        assert next_id == trace.steps[t].token_id, f"step {t}: greedy picked another token"
        probability = float(torch.softmax(logits, dim=-1)[next_id])
        assert probability == pytest.approx(trace.steps[t].probability, abs=1e-5)
        prefix.append(next_id)

    assert trace.finished == trained, "the fitted model stops at </s>, the untrained one at the limit"
    if trace.finished:
        assert prefix[-1] == c.eos_id
    elif max_length is not None:
        assert len(trace.target) == max_length
