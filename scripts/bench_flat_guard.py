#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Time the flat guard (``flat_guard: true``) per frame: the pipeline with it against without.

The synthetic 480x640 scene of scripts/bench_align.py at x4 and x8 LR, through the numpy
pipeline around a pass-through backend (all host work, no network), once with the guard and
once without, interleaved in the same run; prints both medians (and p90), their difference
(the guard's cost: LR plane-fit weight, its bicubic up-sampling, the blend) and their ratio.

    python scripts/bench_flat_guard.py --runs 20
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_align import scene

from bridgenet_ros.eval.baselines import PassThroughBackend
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline
from bridgenet_ros.runtime.resize import resize


def _one_scale(rgb: np.ndarray, depth: np.ndarray, scale: int, runs: int) -> str:
    """The line for one LR scale (both pipelines timed alternately, after one warm-up each)."""
    lr = resize(depth, (480 // scale, 640 // scale), "bicubic").astype(np.float32)
    pipelines = {
        guard: DepthSRPipeline(PassThroughBackend(), RuntimeConfig(flat_guard=guard))
        for guard in (False, True)
    }
    times: dict[bool, list[float]] = {False: [], True: []}
    for pipeline in pipelines.values():
        pipeline.run(rgb, lr)
    for _ in range(runs):
        for guard, pipeline in pipelines.items():
            t0 = time.perf_counter()
            pipeline.run(rgb, lr)
            times[guard].append((time.perf_counter() - t0) * 1e3)
    plain, guarded = np.median(times[False]), np.median(times[True])
    return (
        f"480x640 RGB, x{scale} LR: pipeline without network {plain:.2f} ms "
        f"(p90 {np.percentile(times[False], 90):.2f}), with the guard {guarded:.2f} ms "
        f"(p90 {np.percentile(times[True], 90):.2f}); guard {guarded - plain:.2f} ms, "
        f"ratio {guarded / plain:.2f}, medians of {runs} runs"
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
