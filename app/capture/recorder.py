"""A `Probe` that keeps what the model hands out during one decoding run.

A new Recorder is made for every request and passed down as an argument, so two
requests running the model at once never share one. It only keeps references while
the model runs (a later call under the same name replaces an earlier one, so during
step-by-step decoding it ends up holding the final step) and turns them into NumPy
arrays on the CPU only when asked: recording costs almost nothing per step.
"""

from __future__ import annotations

import numpy as np
from torch import Tensor


class Recorder:
    """Batch element 0 of every probed tensor, keyed by probe name."""

    def __init__(self) -> None:
        self._tensors: dict[str, Tensor] = {}
        self._arrays: dict[str, np.ndarray] = {}

    def __call__(self, name: str, value: Tensor) -> None:
        self._tensors[name] = value[0].detach()
        self._arrays.pop(name, None)

    def tensor(self, name: str) -> Tensor:
        return self._tensors[name]

    def get(self, name: str) -> np.ndarray:
        """The recorded value as a float32 (or bool) array, copied off the device once."""
        if name not in self._arrays:
            value = self._tensors[name].to("cpu")
            if value.is_floating_point():
                value = value.float()
            self._arrays[name] = value.numpy().copy()
        return self._arrays[name]

    def names(self) -> list[str]:
        return list(self._tensors)
