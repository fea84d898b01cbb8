#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Time the depth-to-RGB alignment step (``align_mode: auto``) per frame, median of N runs.

A synthetic 480x640 scene (boxes in front of a wall, RGB edges = depth edges), its LR depth
moved by 5 RGB pixels; prints the median and p90 of ``align_depth_lr`` (estimate + shift) at
each LR scale, and the estimated shift.

    python scripts/bench_align.py --runs 20
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bridgenet_ros.runtime.align import align_depth_lr
from bridgenet_ros.runtime.resize import resize


def scene(height: int = 480, width: int = 640) -> tuple[np.ndarray, np.ndarray]:
    """``(rgb uint8, depth metres)`` with three boxes in front of a 3 m wall."""
    depth = np.full((height, width), 3.0, dtype=np.float32)
    rgb = np.full((height, width, 3), 110, dtype=np.uint8)
    for (y0, y1, x0, x1), z, grey in (
        ((100, 300, 120, 330), 1.2, 220),
        ((40, 160, 420, 600), 2.0, 30),
        ((320, 460, 380, 560), 1.6, 170),
    ):
        depth[y0:y1, x0:x1] = z
        rgb[y0:y1, x0:x1] = grey
    return rgb, depth


def main() -> None:
    """Print one line per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rgb, depth = scene()
    moved = np.roll(depth, (5, -5), axis=(0, 1))
    for scale in (4, 8):
        lr = resize(moved, (480 // scale, 640 // scale), "bicubic").astype(np.float32)
        align_depth_lr(rgb, lr, 10.0, 1.15)  # warm-up
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            _, estimate = align_depth_lr(rgb, lr, 10.0, 1.15)
            times.append((time.perf_counter() - t0) * 1e3)
        dy, dx = estimate.offset_px
        print(
            f"480x640 RGB, x{scale} LR: median {np.median(times):.1f} ms, "
            f"p90 {np.percentile(times, 90):.1f} ms over {args.runs} runs; "
            f"found ({dy:.1f}, {dx:.1f}) px for (5, -5), gain {estimate.gain:.2f}"
        )


if __name__ == "__main__":
    main()
