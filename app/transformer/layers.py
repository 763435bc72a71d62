"""Encoder and decoder layers: each sub-layer is LayerNorm(x + Dropout(Sublayer(x))), as in the paper."""

from __future__ import annotations

from torch import Tensor, nn

from app.transformer.attention import MultiHeadAttention
from app.transformer.probes import Probe, Stack, layer_name


class FeedForward(nn.Module):
    """FFN(x) = max(0, x·W1 + b1)·W2 + b2, applied to each position alone."""

    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, name: str, probe: Probe | None) -> Tensor:
        hidden = self.linear1(x).relu()  # (B, L, d_ff)
        if probe is not None:
            probe(f"{name}.hidden", hidden)
        return self.linear2(self.dropout(hidden))  # type: ignore[no-any-return]


class ResidualNorm(nn.Module):
    """The "Add & Norm" box; reports the LayerNorm input and output (the new residual stream)."""

    def __init__(self, d_model: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, sublayer_out: Tensor, name: str, probe: Probe | None) -> Tensor:
        summed = x + self.dropout(sublayer_out)  # (B, L, d_model)
        out = self.norm(summed)
        if probe is not None:
            probe(f"{name}.ln_in", summed)
            probe(f"{name}.out", out)
        return out  # type: ignore[no-any-return]


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.self_attn_norm = ResidualNorm(d_model, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.ffn_norm = ResidualNorm(d_model, dropout)

    def forward(
        self,
        x: Tensor,  # (B, S, d_model)
        src_mask: Tensor,  # (B, 1, S)
        index: int,
        probe: Probe | None = None,
        head_mask: Tensor | None = None,
    ) -> Tensor:
        stack: Stack = "encoder"
        attn = self.self_attn(x, x, src_mask, "encoder", index, probe, head_mask)
        x = self.self_attn_norm(x, attn, layer_name(stack, index, "self_attn"), probe)
        name = layer_name(stack, index, "ffn")
        return self.ffn_norm(x, self.ffn(x, name, probe), name, probe)  # type: ignore[no-any-return]


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.self_attn_norm = ResidualNorm(d_model, dropout)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.cross_attn_norm = ResidualNorm(d_model, dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.ffn_norm = ResidualNorm(d_model, dropout)

    def forward(
        self,
        y: Tensor,  # (B, T, d_model)
        memory: Tensor,  # (B, S, d_model) encoder output
        tgt_mask: Tensor,  # (B, T, T) causal and padding
        src_mask: Tensor,  # (B, 1, S)
        index: int,
        probe: Probe | None = None,
        self_head_mask: Tensor | None = None,
        cross_head_mask: Tensor | None = None,
    ) -> Tensor:
        stack: Stack = "decoder"
        attn = self.self_attn(y, y, tgt_mask, "decoder", index, probe, self_head_mask)
        y = self.self_attn_norm(y, attn, layer_name(stack, index, "self_attn"), probe)
        cross = self.cross_attn(y, memory, src_mask, "cross", index, probe, cross_head_mask)
        y = self.cross_attn_norm(y, cross, layer_name(stack, index, "cross_attn"), probe)
        name = layer_name(stack, index, "ffn")
        return self.ffn_norm(y, self.ffn(y, name, probe), name, probe)  # type: ignore[no-any-return]
