"""The encoder–decoder Transformer with a shared vocabulary and tied embeddings."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from app.transformer.config import ModelConfig
from app.transformer.layers import DecoderLayer, EncoderLayer
from app.transformer.positional import PositionalEncoding
from app.transformer.probes import LOGITS, AttentionKind, Probe, Stack, embedding_name


@dataclass(frozen=True)
class HeadMask:
    """Which heads to silence, per kind: (layers, heads) of 1.0 (keep) or 0.0 (ablate)."""

    encoder: Tensor | None = None
    decoder: Tensor | None = None
    cross: Tensor | None = None

    def row(self, kind: AttentionKind, layer: int) -> Tensor | None:
        table = getattr(self, kind)
        return None if table is None else table[layer]


def padding_mask(ids: Tensor, pad_id: int) -> Tensor:
    """(B, L) ids -> (B, 1, L) bool, True for real tokens."""
    return (ids != pad_id).unsqueeze(1)


def causal_mask(ids: Tensor, pad_id: int) -> Tensor:
    """(B, T) ids -> (B, T, T) bool: position t sees positions ≤ t that are not padding."""
    t = ids.size(1)
    lower = torch.tril(torch.ones(t, t, dtype=torch.bool, device=ids.device))  # (T, T)
    return padding_mask(ids, pad_id) & lower.unsqueeze(0)


class Transformer(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.d_model, padding_idx=c.pad_id)
        self.positional = PositionalEncoding(c.max_len, c.d_model)
        self.embed_dropout = nn.Dropout(c.dropout)
        self.encoder_layers = nn.ModuleList(
            EncoderLayer(c.d_model, c.n_heads, c.d_ff, c.dropout) for _ in range(c.n_encoder_layers)
        )
        self.decoder_layers = nn.ModuleList(
            DecoderLayer(c.d_model, c.n_heads, c.d_ff, c.dropout) for _ in range(c.n_decoder_layers)
        )
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for name, param in self.named_parameters():
            if param.dim() > 1 and name != "embedding.weight":
                nn.init.xavier_uniform_(param)
        # Tied input/output embedding: small normal init keeps initial logits near zero.
        nn.init.normal_(self.embedding.weight, mean=0.0, std=self.config.d_model**-0.5)
        with torch.no_grad():
            self.embedding.weight[self.config.pad_id].zero_()

    def embed(self, ids: Tensor, stack: Stack, probe: Probe | None) -> Tensor:
        """Token embedding × √d_model plus positional encoding. (B, L) -> (B, L, d_model)."""
        token = self.embedding(ids) * math.sqrt(self.config.d_model)  # (B, L, d_model)
        position = self.positional(ids.size(1)).unsqueeze(0)  # (1, L, d_model)
        summed = token + position
        if probe is not None:
            probe(embedding_name(stack, "token"), token)
            probe(embedding_name(stack, "position"), position.expand_as(token))
            probe(embedding_name(stack, "sum"), summed)
        return self.embed_dropout(summed)  # type: ignore[no-any-return]

    def encode(
        self,
        src: Tensor,  # (B, S)
        probe: Probe | None = None,
        head_mask: HeadMask | None = None,
    ) -> Tensor:
        """Returns the memory the decoder attends to, (B, S, d_model)."""
        src_mask = padding_mask(src, self.config.pad_id)  # (B, 1, S)
        x = self.embed(src, "encoder", probe)
        for index, layer in enumerate(self.encoder_layers):
            row = head_mask.row("encoder", index) if head_mask else None
            x = layer(x, src_mask, index, probe, row)
        return x

    def decode(
        self,
        tgt: Tensor,  # (B, T) decoder input, starting with <s>
        memory: Tensor,  # (B, S, d_model)
        src: Tensor,  # (B, S) the source ids, for the padding mask
        probe: Probe | None = None,
        head_mask: HeadMask | None = None,
    ) -> Tensor:
        """Returns next-token logits at every decoder position, (B, T, vocab)."""
        src_mask = padding_mask(src, self.config.pad_id)  # (B, 1, S)
        tgt_mask = causal_mask(tgt, self.config.pad_id)  # (B, T, T)
        y = self.embed(tgt, "decoder", probe)
        for index, layer in enumerate(self.decoder_layers):
            self_row = head_mask.row("decoder", index) if head_mask else None
            cross_row = head_mask.row("cross", index) if head_mask else None
            y = layer(y, memory, tgt_mask, src_mask, index, probe, self_row, cross_row)
        logits = y @ self.embedding.weight.t()  # (B, T, vocab), tied with the input embedding
        if probe is not None:
            probe(LOGITS, logits)
        return logits

    def forward(
        self,
        src: Tensor,  # (B, S)
        tgt: Tensor,  # (B, T)
        probe: Probe | None = None,
        head_mask: HeadMask | None = None,
    ) -> Tensor:
        """Teacher-forced logits (B, T, vocab)."""
        memory = self.encode(src, probe, head_mask)
        return self.decode(tgt, memory, src, probe, head_mask)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
