#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the procedural RGB-D scene generator on one CPU core.

Prints frames/s at 240x320 and 480x640 (median over ``--runs`` runs of ``--frames`` frames
each, after one warm-up frame). Thread pools (BLAS/OpenMP/torch) are limited to one thread
before numpy is imported, so the figure is per core - the budget of a CPU training worker.
Two rates are printed: per wall-clock second, and per second of this process's CPU time
(``time.process_time``), which is what one core delivers when the machine is shared and the
wall clock also counts time spent waiting for a core.

Usage::

    .venv/bin/python scripts/bench_synthetic.py [--frames 20] [--runs 5] [--seed 0]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def bench(
    height: int, width: int, frames: int, runs: int, seed: int
) -> tuple[list[float], list[float]]:
    """Frames per wall-clock second and per CPU second of each run at ``height`` x ``width``."""
    from bridgenet_ros.data.synthetic import SyntheticScenes

    scenes = SyntheticScenes(seed=seed, height=height, width=width)
    scenes[0]  # warm-up (imports, caches)
    wall_rates = []
    cpu_rates = []
    for run in range(runs):
        start = time.perf_counter()
        start_cpu = time.process_time()
        for i in range(frames):
            scenes[1 + run * frames + i]
        cpu_rates.append(frames / (time.process_time() - start_cpu))
        wall_rates.append(frames / (time.perf_counter() - start))
    return wall_rates, cpu_rates


def main() -> int:
    """Run the benchmark and print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20, help="frames per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(
        f"synthetic scenes, 1 thread, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cpus, load avg {os.getloadavg()[0]:.2f}"
    )
    for height, width in ((240, 320), (480, 640)):
        wall, cpu = bench(height, width, args.frames, args.runs, args.seed)
        print(
            f"{height}x{width}: median {statistics.median(wall):.1f} frames/s wall "
            f"(min {min(wall):.1f}, max {max(wall):.1f}), "
            f"{statistics.median(cpu):.1f} frames per CPU-second; {args.runs} runs x {args.frames}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
