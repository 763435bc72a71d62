"""A `Probe` that keeps what the model hands out, detached and on the CPU.

A new Recorder is made for every forward pass and passed down as an argument, so
two requests running the model at once never share one.
"""

from __future__ import annotations

import numpy as np
from torch import Tensor


class Recorder:
    """Stores batch element 0 of every probed tensor as a NumPy array, keyed by probe name."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def __call__(self, name: str, value: Tensor) -> None:
        array = value[0].detach().to("cpu")
        if array.is_floating_point():
            array = array.float()
        self.arrays[name] = array.numpy().copy()

    def get(self, name: str) -> np.ndarray:
        return self.arrays[name]
