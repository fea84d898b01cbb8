#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Time the flat guard (``flat_guard: true``) per frame, median of N runs, against the pipeline.

The synthetic 480x640 scene of scripts/bench_align.py at x4 and x8 LR; prints the median and p90
of the guard (LR weight + bicubic up-sampling + blend) and, measured in the same run, of the
whole numpy pipeline around a pass-through backend (pre- and post-processing, no network), so
the guard's share of the host work is a ratio of figures taken together.

    python scripts/bench_flat_guard.py --runs 20
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np
from bench_align import scene

from bridgenet_ros.eval.baselines import PassThroughBackend
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.fill import fill_holes
from bridgenet_ros.runtime.flat_guard import apply_flat_guard, guard_weight_lr
from bridgenet_ros.runtime.pipeline import DepthSRPipeline
from bridgenet_ros.runtime.resize import resize


def _times_ms(run: Callable[[], object], runs: int) -> np.ndarray:
    run()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return np.asarray(times)


def _one_scale(rgb: np.ndarray, depth: np.ndarray, scale: int, runs: int) -> str:
    """The line for one LR scale (guard and pipeline timed in the same call)."""
    lr = resize(depth, (480 // scale, 640 // scale), "bicubic").astype(np.float32)
    mask = lr > 0
    filled = fill_holes(lr, mask, 1.5, 6)
    up = resize(filled, (480, 640), "bicubic")
    sr = up + np.float32(0.01)
    guard_ms = _times_ms(
        lambda: apply_flat_guard(sr, up, guard_weight_lr(filled, mask, 0.01, 0.03)), runs
    )
    pipeline = DepthSRPipeline(PassThroughBackend(), RuntimeConfig())
    pipe_ms = _times_ms(lambda: pipeline.run(rgb, lr), runs)
    ratio = np.median(guard_ms) / np.median(pipe_ms)
    return (
        f"480x640 RGB, x{scale} LR: guard median {np.median(guard_ms):.2f} ms "
        f"(p90 {np.percentile(guard_ms, 90):.2f}); pipeline without network median "
        f"{np.median(pipe_ms):.2f} ms; guard / pipeline {ratio:.2f} over {runs} runs"
    )


def main() -> None:
    """Print one line per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rgb, depth = scene()
    for scale in (4, 8):
        print(_one_scale(rgb, depth, scale, args.runs))


if __name__ == "__main__":
    main()
