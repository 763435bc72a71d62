"""Head ablation: silence chosen heads, translate again, and report what changed."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from app.capture.run import decode_output
from app.transformer.checkpoint import LoadedModel
from app.transformer.model import HeadMask
from app.transformer.probes import AttentionKind
from app.transformer.translate import default_max_length, source_ids


@dataclass(frozen=True)
class HeadRef:
    kind: AttentionKind
    layer: int
    head: int


@dataclass(frozen=True)
class AblationResult:
    heads: list[HeadRef]
    original: str
    ablated: str
    changed: bool
    original_tokens: list[str]
    ablated_tokens: list[str]
    # log-probability the model gives the *original* output, before and after silencing the heads
    original_log_prob: float
    ablated_log_prob_of_original: float


def build_head_mask(loaded: LoadedModel, heads: list[HeadRef]) -> HeadMask:
    c = loaded.config
    layers = {"encoder": c.n_encoder_layers, "decoder": c.n_decoder_layers, "cross": c.n_decoder_layers}
    tables = {kind: torch.ones(n, c.n_heads, device=loaded.device) for kind, n in layers.items()}
    for ref in heads:
        tables[ref.kind][ref.layer, ref.head] = 0.0
    return HeadMask(encoder=tables["encoder"], decoder=tables["decoder"], cross=tables["cross"])


@torch.no_grad()
def _log_prob(loaded: LoadedModel, src: torch.Tensor, output: list[int], mask: HeadMask | None) -> float:
    """Teacher-forced log P(output + </s> | source)."""
    c = loaded.config
    tgt_in = torch.tensor([[c.bos_id, *output]], device=loaded.device)  # (1, T)
    labels = torch.tensor([[*output, c.eos_id]], device=loaded.device)  # (1, T)
    log_probs = torch.log_softmax(loaded.model(src, tgt_in, head_mask=mask).float(), dim=-1)
    return float(log_probs.gather(-1, labels.unsqueeze(-1)).sum())


def ablate(
    loaded: LoadedModel,
    text: str,
    heads: list[HeadRef],
    beam_size: int = 1,
    max_length: int | None = None,
    original: list[int] | None = None,
) -> AblationResult:
    """Decode with the heads silenced, with the same limits as the trace on screen.

    `original` is the unablated output when the caller already has it (from its trace);
    otherwise it is decoded here.
    """
    c, tok = loaded.config, loaded.tokenizer
    ids = source_ids(tok, text, c.eos_id)
    src = torch.tensor([ids], device=loaded.device)  # (1, S)
    limit = min(max_length or default_max_length(len(ids)), c.max_len - 1)
    mask = build_head_mask(loaded, heads)
    if original is None:
        original = decode_output(loaded, src, beam_size, limit)
    ablated = decode_output(loaded, src, beam_size, limit, mask)
    return AblationResult(
        heads=heads,
        original=tok.decode(original),
        ablated=tok.decode(ablated),
        changed=original != ablated,
        original_tokens=[tok.display(i) for i in original],
        ablated_tokens=[tok.display(i) for i in ablated],
        original_log_prob=round(_log_prob(loaded, src, original, None), 4),
        ablated_log_prob_of_original=round(_log_prob(loaded, src, original, mask), 4),
    )
