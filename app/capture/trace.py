"""`Trace`: everything the model computed for one sentence, as plain NumPy arrays on the CPU."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.transformer.probes import AttentionKind


@dataclass(frozen=True)
class TokenRow:
    """One side's tokens, in model order, with where each came from in its text."""

    ids: list[int]
    display: list[str]  # readable word pieces, `▁` marks a word start; unknown chars shown as typed
    offsets: list[tuple[int, int]]  # character [start, end) in the source text / the translation
    unknown: list[bool]  # True where the model saw <unk>

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Alternative:
    token: str
    token_id: int
    probability: float


@dataclass(frozen=True)
class Step:
    """Decoder position `position` (a query row) produced `token` with `probability`."""

    position: int
    token: str
    token_id: int
    probability: float
    top: list[Alternative]  # the 5 most likely next tokens at this step


@dataclass(frozen=True)
class AttentionTensors:
    """One kind of attention across all layers and heads."""

    weights: np.ndarray  # (layers, H, rows, cols) softmax output, exactly what multiplied V
    scores: np.ndarray  # (layers, H, rows, cols) Q·Kᵀ/√d_k before the mask
    mask: np.ndarray  # (rows, cols) bool, True where attending is allowed
    q: np.ndarray  # (layers, H, rows, d_head)
    k: np.ndarray  # (layers, H, cols, d_head)
    v: np.ndarray  # (layers, H, cols, d_head)
    context: np.ndarray  # (layers, H, rows, d_head) weights · V per head


@dataclass(frozen=True)
class StackActivations:
    """Encoder or decoder internals outside attention."""

    token_embedding: np.ndarray  # (L, d_model) embedding × √d_model
    positional: np.ndarray  # (L, d_model) sinusoidal encoding added to it
    residual: dict[str, np.ndarray]  # "embed" -> (L, d); "<layer>.<sublayer>" -> (L, d) after Add & Norm
    ln_in: dict[str, np.ndarray]  # "<layer>.<sublayer>" -> (L, d) LayerNorm input (x + sublayer(x))
    ffn_hidden: np.ndarray  # (layers, L, d_ff) ReLU outputs


@dataclass(frozen=True)
class Trace:
    model: str
    text: str
    translation: str
    beam_size: int
    finished: bool  # False when decoding hit the length limit before </s>
    source: TokenRow  # encoder positions (S), ending with </s>
    target: TokenRow  # decoder positions (T), starting with <s>
    steps: list[Step]  # one per decoder position
    attention: dict[AttentionKind, AttentionTensors]
    encoder: StackActivations
    decoder: StackActivations
    d_model: int
    n_heads: int
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def n_layers(self) -> dict[AttentionKind, int]:
        return {kind: int(t.weights.shape[0]) for kind, t in self.attention.items()}

    @property
    def output_ids(self) -> list[int]:
        """The translation's token ids, without </s>."""
        ids = [s.token_id for s in self.steps]
        return ids[:-1] if self.finished else ids

    def nbytes(self) -> int:
        """Approximate memory held, for the cache's byte budget."""
        total = 0
        for t in self.attention.values():
            total += sum(a.nbytes for a in (t.weights, t.scores, t.mask, t.q, t.k, t.v, t.context))
        for s in (self.encoder, self.decoder):
            total += s.token_embedding.nbytes + s.positional.nbytes + s.ffn_hidden.nbytes
            total += sum(a.nbytes for a in s.residual.values()) + sum(a.nbytes for a in s.ln_in.values())
        return total + 64 * (len(self.source) + len(self.target)) + 1024
