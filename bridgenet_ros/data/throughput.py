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
    report: Callable[[int, float, float], None] | None = None,
) -> list[tuple[float, float]]:
    """Samples per second of ``dataset[i]``, ``repeats`` times over fresh epochs.

    Both clocks: wall time (what a training worker delivers on this machine now) and this
    process's CPU time (what one core delivers, independent of other load).

    Args:
        dataset: a :class:`~.datasets.DepthSRDataset` (``set_epoch`` and ``__getitem__``).
        samples: samples timed per repeat (consecutive indices from 0, wrapping).
        repeats: number of timed repeats (epoch 1, 2, ...).
        warmup: untimed samples first (imports, first file reads, caches).
        report: called with ``(repeat, samples per wall second, per CPU second)``.

    Returns:
        ``(samples per wall second, samples per CPU second)`` per repeat.
    """
    size = len(dataset)
    for i in range(min(warmup, size)):
        dataset[i]
    rates = []
    for repeat in range(1, repeats + 1):
        dataset.set_epoch(repeat)
        start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(samples):
            dataset[i % size]
        wall = samples / (time.perf_counter() - start)
        cpu = samples / max(time.process_time() - cpu_start, 1e-9)
        rates.append((wall, cpu))
        if report is not None:
            report(repeat, wall, cpu)
    return rates
