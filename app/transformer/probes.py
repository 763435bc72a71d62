"""The one source of names for everything the model can hand out while it runs.

The model calls `probe(name, tensor)` at each site; the capture room implements
the callback. Passing the probe down as an argument (never storing it on a
module) is what keeps two concurrent requests from seeing each other's tensors.
"""

from __future__ import annotations

from typing import Literal, Protocol, get_args

from torch import Tensor

AttentionKind = Literal["encoder", "decoder", "cross"]
ATTENTION_KINDS: tuple[AttentionKind, ...] = get_args(AttentionKind)

Stack = Literal["encoder", "decoder"]

# Per-head attention internals, each (B, H, rows, cols) or (B, H, rows, d_head).
ATTENTION_PARTS = ("q", "k", "v", "scores", "mask", "weights", "context")
# Per-layer activations, each (B, L, d_model) except ffn_hidden (B, L, d_ff).
ENCODER_SUBLAYERS = ("self_attn", "ffn")
DECODER_SUBLAYERS = ("self_attn", "cross_attn", "ffn")


class Probe(Protocol):
    """Receives a tensor produced at a named site during one forward pass."""

    def __call__(self, name: str, value: Tensor) -> None: ...


# Next-token logits at every decoder position, (B, T, vocab).
LOGITS = "decoder.logits"


def attention_name(kind: AttentionKind, layer: int, part: str) -> str:
    """e.g. `attn.cross.2.weights`."""
    return f"attn.{kind}.{layer}.{part}"


def layer_name(stack: Stack, layer: int, part: str) -> str:
    """e.g. `encoder.0.ffn.out` (residual stream after that sub-layer) or `decoder.1.ffn.hidden`."""
    return f"{stack}.{layer}.{part}"


def embedding_name(stack: Stack, part: str) -> str:
    """`encoder.embed.token`, `encoder.embed.position` or `encoder.embed.sum`."""
    return f"{stack}.embed.{part}"
