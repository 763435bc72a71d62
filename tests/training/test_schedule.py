"""The paper's learning-rate schedule and the label-smoothed loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from app.training.schedule import inverse_sqrt_lr, label_smoothed_loss

PAD = 0


@pytest.mark.parametrize("warmup", [1, 10, 400, 4000])
def test_learning_rate_peaks_at_the_end_of_warmup(warmup: int) -> None:
    rates = [inverse_sqrt_lr(step, 512, warmup) for step in range(1, 3 * warmup + 2)]
    assert max(range(len(rates)), key=rates.__getitem__) + 1 == warmup
    assert rates[warmup - 1] == pytest.approx(512**-0.5 * warmup**-0.5)


@pytest.mark.parametrize(
    ("step", "d_model", "warmup", "factor", "expected"),
    [
        (50, 256, 100, 1.0, 0.003125),  # warming up: 256^-0.5 · 50 · 100^-1.5
        (400, 256, 100, 1.0, 0.003125),  # decaying: 256^-0.5 · 400^-0.5
        (100, 256, 100, 1.0, 0.00625),  # the peak: 256^-0.5 · 100^-0.5
        (400, 256, 100, 0.5, 0.0015625),  # the factor scales everything
        (1, 64, 4000, 1.0, 0.125 * 4000**-1.5),
    ],
)
def test_learning_rate_matches_the_formula(
    step: int, d_model: int, warmup: int, factor: float, expected: float
) -> None:
    assert inverse_sqrt_lr(step, d_model, warmup, factor) == pytest.approx(expected, rel=1e-9)


def test_step_zero_is_treated_as_step_one() -> None:
    assert inverse_sqrt_lr(0, 256, 100) == inverse_sqrt_lr(1, 256, 100) > 0


def _logits_and_labels() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 5, 11, generator=generator)  # (B, T, V)
    labels = torch.tensor([[4, 7, 3, PAD, PAD], [5, 9, 10, 8, 3]])
    return logits, labels


def test_without_smoothing_it_is_summed_cross_entropy() -> None:
    logits, labels = _logits_and_labels()
    expected = F.cross_entropy(logits.reshape(-1, 11), labels.reshape(-1), ignore_index=PAD, reduction="sum")
    torch.testing.assert_close(label_smoothed_loss(logits, labels, PAD, 0.0), expected)


def test_with_smoothing_it_matches_torch() -> None:
    logits, labels = _logits_and_labels()
    expected = F.cross_entropy(
        logits.reshape(-1, 11), labels.reshape(-1), ignore_index=PAD, reduction="sum", label_smoothing=0.1
    )
    torch.testing.assert_close(label_smoothed_loss(logits, labels, PAD, 0.1), expected)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_padding_positions_do_not_count(smoothing: float) -> None:
    logits, labels = _logits_and_labels()
    loss = label_smoothed_loss(logits, labels, PAD, smoothing)
    scrambled = logits.clone()
    scrambled[0, 3:] = torch.randn(2, 11) * 100
    assert torch.equal(label_smoothed_loss(scrambled, labels, PAD, smoothing), loss)
    real_only = label_smoothed_loss(logits[:, :3], labels[:, :3], PAD, smoothing) + label_smoothed_loss(
        logits[1:, 3:], labels[1:, 3:], PAD, smoothing
    )
    torch.testing.assert_close(loss, real_only)


def test_loss_gradient_flows_only_to_real_positions() -> None:
    logits, labels = _logits_and_labels()
    logits.requires_grad_(True)
    label_smoothed_loss(logits, labels, PAD, 0.1).backward()
    assert logits.grad is not None
    assert bool((logits.grad[0, 3:] == 0).all())
    assert bool((logits.grad[1] != 0).any())
