"""Multi-head scaled dot-product attention, written out so every head's weights are visible.

Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k) · V, computed per head. The weights a
probe receives are the very tensor multiplied with V: there is no second copy.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from app.transformer.probes import AttentionKind, Probe, attention_name


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split_heads(self, x: Tensor) -> Tensor:
        """(B, L, d_model) -> (B, H, L, d_head)."""
        b, length, _ = x.shape
        return x.view(b, length, self.n_heads, self.d_head).transpose(1, 2)

    def forward(
        self,
        query: Tensor,  # (B, T, d_model)
        key_value: Tensor,  # (B, S, d_model)
        mask: Tensor,  # (B, 1 or T, S) bool, True where attending is allowed
        kind: AttentionKind,
        layer: int,
        probe: Probe | None = None,
        head_mask: Tensor | None = None,  # (H,) 1.0 keeps a head, 0.0 silences it (ablation)
    ) -> Tensor:
        q = self._split_heads(self.q_proj(query))  # (B, H, T, d_head)
        k = self._split_heads(self.k_proj(key_value))  # (B, H, S, d_head)
        v = self._split_heads(self.v_proj(key_value))  # (B, H, S, d_head)

        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, H, T, S)
        allowed = mask.unsqueeze(1)  # (B, 1, T or 1, S)
        masked = scores.masked_fill(~allowed, float("-inf"))
        weights = torch.softmax(masked, dim=-1)  # (B, H, T, S)
        # A query with no allowed key (never produced by our masks) would give NaN; keep it 0.
        weights = torch.nan_to_num(weights, nan=0.0)
        context = self.dropout(weights) @ v  # (B, H, T, d_head)
        if head_mask is not None:
            context = context * head_mask.view(1, -1, 1, 1)

        if probe is not None:
            for part, value in (
                ("q", q),
                ("k", k),
                ("v", v),
                ("scores", scores),
                ("mask", allowed.expand_as(scores)),
                ("weights", weights),
                ("context", context),
            ):
                probe(attention_name(kind, layer, part), value)

        b, _, t, _ = context.shape
        merged = context.transpose(1, 2).reshape(b, t, self.n_heads * self.d_head)  # (B, T, d_model)
        return self.out_proj(merged)  # type: ignore[no-any-return]
