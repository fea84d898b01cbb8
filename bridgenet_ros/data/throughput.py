# SPDX-License-Identifier: Apache-2.0
"""Training samples per second of one process (one DataLoader worker): `bridgenet data bench`."""

from __future__ import annotations

import time
from typing import Any, Callable

__all__ = ["measure_samples_per_s"]


def measure_samples_per_s(
    dataset: Any,
    samples: int,
    repeats: int,
    *,
    warmup: int = 5,
    report: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Samples per second of ``dataset[i]``, ``repeats`` times over fresh epochs.

    Args:
        dataset: a :class:`~.datasets.DepthSRDataset` (``set_epoch`` and ``__getitem__``).
        samples: samples timed per repeat (consecutive indices from 0, wrapping).
        repeats: number of timed repeats (epoch 1, 2, ...).
        warmup: untimed samples first (imports, first file reads, caches).
        report: called with ``(repeat, samples/s)`` after each repeat.

    Returns:
        One rate per repeat.
    """
    size = len(dataset)
    for i in range(min(warmup, size)):
        dataset[i]
    rates = []
    for repeat in range(1, repeats + 1):
        dataset.set_epoch(repeat)
        start = time.perf_counter()
        for i in range(samples):
            dataset[i % size]
        rates.append(samples / (time.perf_counter() - start))
        if report is not None:
            report(repeat, rates[-1])
    return rates
