# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the benchmark scripts (``scripts/bench_*.py`` import it from this folder).

- :func:`median_seconds`: warm up, then the median wall time of a callable (optionally with a
  device synchronization around each run, for CUDA).
- :func:`synthetic_lr_frames`: RGB + LR depth frames for pipeline timings (LR at 1/4 of the
  RGB size, 5 % holes as a real sensor).
- :func:`pipeline_stage_medians`: median per-stage times of ``DepthSRPipeline.run``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np


def median_seconds(
    fn: Callable[[], object], runs: int, warmup: int, sync: Callable[[], object] | None = None
) -> float:
    """Median wall time of ``fn()`` over ``runs`` calls after ``warmup`` calls.

    ``sync`` (e.g. ``torch.cuda.synchronize``) runs before the clock starts and before it stops,
    so asynchronous device work is counted.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        if sync is not None:
            sync()
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_lr_frames(n: int, height: int, width: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` frames ``(rgb (H, W, 3) uint8, depth_lr (H/4, W/4) float32 m)``, 5 % LR holes."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0 : height // 4, 0 : width // 4].astype(np.float32)
    out = []
    for i in range(n):
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        depth = (1.0 + 0.01 * x + 0.005 * y + 0.1 * i).astype(np.float32)
        depth[rng.random(depth.shape) < 0.05] = 0.0  # 5 % holes, as a real sensor
        out.append((rgb, depth))
    return out


def pipeline_stage_medians(
    pipeline: Any, frames: list[tuple[np.ndarray, np.ndarray]], warmup: int
) -> dict[str, float]:
    """Median ``preprocess`` / ``inference`` / ``postprocess`` / ``total`` ms over ``frames``.

    The first ``warmup`` frames are run once before timing; every frame is then timed.
    """
    for rgb, depth in frames[:warmup]:
        pipeline.run(rgb, depth)
    stages: dict[str, list[float]] = {
        "preprocess": [],
        "inference": [],
        "postprocess": [],
        "total": [],
    }
    for rgb, depth in frames:
        start = time.perf_counter()
        result = pipeline.run(rgb, depth)
        stages["total"].append((time.perf_counter() - start) * 1e3)
        for key in ("preprocess", "inference", "postprocess"):
            stages[key].append(result.timings_ms[key])
    return {key: statistics.median(values) for key, values in stages.items()}
