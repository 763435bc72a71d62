"""The paper's learning-rate schedule and its label-smoothed loss."""

from __future__ import annotations

import torch
from torch import Tensor


def inverse_sqrt_lr(step: int, d_model: int, warmup: int, factor: float = 1.0) -> float:
    """lrate = factor · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5) (section 5.3)."""
    step = max(step, 1)
    return float(factor * d_model**-0.5 * min(step**-0.5, step * warmup**-1.5))


def label_smoothed_loss(logits: Tensor, labels: Tensor, pad_id: int, smoothing: float) -> Tensor:
    """Summed cross-entropy against (1-ε)·one-hot + ε/V, ignoring padding. logits (B, T, V), labels (B, T)."""
    log_probs = torch.log_softmax(logits.float(), dim=-1)  # (B, T, V)
    nll = -log_probs.gather(-1, labels.unsqueeze(-1)).squeeze(-1)  # (B, T)
    uniform = -log_probs.mean(dim=-1)  # (B, T)
    loss = (1.0 - smoothing) * nll + smoothing * uniform
    return loss.masked_fill(labels == pad_id, 0.0).sum()
