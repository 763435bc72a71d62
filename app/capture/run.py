"""Run the model on one sentence and assemble its `Trace`.

Decoding first produces the output; one teacher-forced pass over that output then
records every internal. Because the decoder is causal, row t of that pass is the
computation that chose token t+1 during decoding (a test checks this).
"""

from __future__ import annotations

import numpy as np
import torch

from app.capture.recorder import Recorder
from app.capture.trace import (
    Alternative,
    AttentionTensors,
    StackActivations,
    Step,
    TokenRow,
    Trace,
)
from app.transformer.checkpoint import LoadedModel
from app.transformer.config import ModelConfig
from app.transformer.generation import beam_search, greedy_decode
from app.transformer.model import HeadMask
from app.transformer.probes import (
    ATTENTION_KINDS,
    DECODER_SUBLAYERS,
    ENCODER_SUBLAYERS,
    LOGITS,
    AttentionKind,
    Stack,
    attention_name,
    embedding_name,
    layer_name,
)
from app.transformer.tokenizer import SubwordTokenizer, clean_text
from app.transformer.translate import default_max_length

TOP_K = 5


def decode_output(
    loaded: LoadedModel, src: torch.Tensor, beam_size: int, limit: int, head_mask: HeadMask | None = None
) -> list[int]:
    """Output ids (no <s>/</s>) by greedy or beam search."""
    if beam_size <= 1:
        return greedy_decode(loaded.model, src, limit, head_mask)[0]
    return beam_search(loaded.model, src, beam_size, limit, head_mask=head_mask)


def _source_row(tokenizer: SubwordTokenizer, text: str, c: ModelConfig) -> TokenRow:
    """Source tokens then </s>; an <unk> is labelled with the characters it stands for."""
    enc = tokenizer.encode(text)
    unknown = [token_id == c.unk_id for token_id in enc.ids]
    display = [
        (text[start:end].strip() or tokenizer.display(token_id)) if unk else tokenizer.display(token_id)
        for token_id, (start, end), unk in zip(enc.ids, enc.offsets, unknown, strict=True)
    ]
    end = len(text)
    return TokenRow(
        ids=[*enc.ids, c.eos_id],
        display=[*display, tokenizer.display(c.eos_id)],
        offsets=[*enc.offsets, (end, end)],
        unknown=[*unknown, False],
    )


def _target_row(tokenizer: SubwordTokenizer, decoder_ids: list[int], c: ModelConfig) -> TokenRow:
    """Offsets into the detokenised translation, found by decoding growing prefixes."""
    offsets: list[tuple[int, int]] = [(0, 0)]
    previous = 0
    for k in range(1, len(decoder_ids)):
        length = len(tokenizer.decode(decoder_ids[1 : k + 1]))
        offsets.append((previous, length))
        previous = length
    return TokenRow(
        ids=decoder_ids,
        display=[tokenizer.display(i) for i in decoder_ids],
        offsets=offsets,
        unknown=[i == c.unk_id for i in decoder_ids],
    )


def _steps(logits: torch.Tensor, emitted: list[int], tokenizer: SubwordTokenizer) -> list[Step]:
    """logits (T, V): the probability of each emitted token and the top-5 at each position."""
    probs = torch.softmax(logits.float(), dim=-1)  # (T, V)
    top_p, top_i = probs.topk(TOP_K, dim=-1)  # (T, K)
    steps = []
    for position, token_id in enumerate(emitted):
        top = [
            Alternative(tokenizer.display(i), i, round(p, 6))
            for p, i in zip(top_p[position].tolist(), top_i[position].tolist(), strict=True)
        ]
        steps.append(
            Step(position, tokenizer.display(token_id), token_id, float(probs[position, token_id]), top)
        )
    return steps


def _attention(rec: Recorder, kind: AttentionKind, n_layers: int) -> AttentionTensors:
    def stacked(part: str) -> np.ndarray:
        return np.stack([rec.get(attention_name(kind, layer, part)) for layer in range(n_layers)])

    return AttentionTensors(
        weights=stacked("weights"),
        scores=stacked("scores"),
        mask=rec.get(attention_name(kind, 0, "mask"))[0],
        q=stacked("q"),
        k=stacked("k"),
        v=stacked("v"),
        context=stacked("context"),
    )


def _stack(rec: Recorder, stack: Stack, n_layers: int, sublayers: tuple[str, ...]) -> StackActivations:
    residual = {"embed": rec.get(embedding_name(stack, "sum"))}
    ln_in = {}
    for layer in range(n_layers):
        for sub in sublayers:
            residual[f"{layer}.{sub}"] = rec.get(f"{layer_name(stack, layer, sub)}.out")
            ln_in[f"{layer}.{sub}"] = rec.get(f"{layer_name(stack, layer, sub)}.ln_in")
    return StackActivations(
        token_embedding=rec.get(embedding_name(stack, "token")),
        positional=rec.get(embedding_name(stack, "position")),
        residual=residual,
        ln_in=ln_in,
        ffn_hidden=np.stack([rec.get(f"{layer_name(stack, i, 'ffn')}.hidden") for i in range(n_layers)]),
    )


@torch.no_grad()
def capture_trace(
    loaded: LoadedModel,
    text: str,
    beam_size: int = 1,
    max_length: int | None = None,
    head_mask: HeadMask | None = None,
) -> Trace:
    """Translate `text` and record every internal of the pass that produced the translation."""
    # A lone surrogate (e.g. "\ud800" in a JSON body) cannot be written back out as UTF-8; the
    # tokenizer already reads it as U+FFFD, so the trace keeps the text the model saw.
    text = clean_text(text)
    model, tokenizer, c = loaded.model, loaded.tokenizer, loaded.config
    source = _source_row(tokenizer, text, c)
    src = torch.tensor([source.ids], dtype=torch.long, device=loaded.device)  # (1, S)
    limit = min(max_length or default_max_length(len(source)), c.max_len - 1)
    rec = Recorder()
    if beam_size <= 1:
        # Recorded while decoding: the last step's decoder pass runs over the whole output.
        output = greedy_decode(model, src, limit, head_mask, probe=rec)[0]
    else:
        output = beam_search(model, src, beam_size, limit, head_mask=head_mask)
    finished = len(output) < limit
    emitted = [*output, c.eos_id] if finished else output
    decoder_ids = [c.bos_id, *emitted[:-1]]
    if beam_size > 1:
        # Beam search weighs several hypotheses at once; one recorded pass over the chosen one.
        tgt = torch.tensor([decoder_ids], dtype=torch.long, device=loaded.device)  # (1, T)
        model(src, tgt, probe=rec, head_mask=head_mask)
    logits = rec.tensor(LOGITS)  # (T, V)
    if logits.shape[0] != len(decoder_ids):
        raise RuntimeError("recorded decoder pass does not cover the output")  # an internal invariant
    return Trace(
        model=loaded.name,
        text=text,
        translation=tokenizer.decode(output),
        beam_size=beam_size,
        finished=finished,
        source=source,
        target=_target_row(tokenizer, decoder_ids, c),
        steps=_steps(logits, emitted, tokenizer),
        attention={
            kind: _attention(rec, kind, c.n_encoder_layers if kind == "encoder" else c.n_decoder_layers)
            for kind in ATTENTION_KINDS
        },
        encoder=_stack(rec, "encoder", c.n_encoder_layers, ENCODER_SUBLAYERS),
        decoder=_stack(rec, "decoder", c.n_decoder_layers, DECODER_SUBLAYERS),
        d_model=c.d_model,
        n_heads=c.n_heads,
    )
