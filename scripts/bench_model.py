#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print parameters, GMACs and CPU latency of the BridgeNet variants (docs/performance.md).

Usage::

    .venv/bin/python scripts/bench_model.py [--threads 2] [--runs 5] [--warmup 2]
        [--latency-variants lite dsr_only test] [--sizes 240x320 480x640]
        [--paper-sizes 240x320]

MACs are counted at 480×640 by :func:`bridgenet_ros.model.profile.count_macs` (Conv2d and
Linear only). Latency is the median wall time of ``--runs`` forward passes under
``torch.inference_mode()`` after ``--warmup`` passes. The matmul reference is the median
GFLOP/s of a 1024×1024 float32 matmul measured in the same run with the same thread count.
"""

from __future__ import annotations

import argparse
import os
import platform

import torch
from bench_common import median_seconds

from bridgenet_ros.model import create_model, variant_names
from bridgenet_ros.model.profile import count_macs, count_parameters


def _size(text: str) -> tuple[int, int]:
    height, width = text.lower().split("x")
    return int(height), int(width)


def matmul_gflops(runs: int, n: int = 1024) -> float:
    """Median float32 ``n×n @ n×n`` matmul throughput in GFLOP/s (2·n³ FLOPs per product)."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    seconds = median_seconds(lambda: a @ b, max(runs, 5), 2)
    return 2.0 * n**3 / seconds / 1e9


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--latency-variants", nargs="+", default=["lite", "dsr_only", "test"])
    parser.add_argument("--sizes", nargs="+", type=_size, default=[(240, 320), (480, 640)])
    parser.add_argument("--paper-sizes", nargs="*", type=_size, default=[(240, 320)])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print(
        f"# torch {torch.__version__}, {args.threads} threads, {platform.processor() or '?'} "
        f"({platform.machine()}), {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}, median of {args.runs} after {args.warmup} warm-up runs"
    )
    reference = matmul_gflops(args.runs)
    print(f"float32 1024x1024 matmul: {reference:.1f} GFLOP/s")
    print()
    print("| variant | params | GMACs @480x640 | stride |")
    print("|---|---:|---:|---:|")
    macs_480: dict[str, int] = {}
    for name in variant_names():
        model = create_model(name).eval()
        macs = count_macs(model, torch.rand(1, 3, 480, 640), torch.rand(1, 1, 480, 640))
        macs_480[name] = macs
        print(f"| {name} | {count_parameters(model):,} | {macs / 1e9:.2f} | {model.stride} |")
    print()
    print("| variant | size | GMACs | latency ms | GFLOP/s | / matmul GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|")
    jobs = [(name, size) for name in args.latency_variants for size in args.sizes]
    jobs += [("paper", size) for size in args.paper_sizes]
    for name, (height, width) in jobs:
        model = create_model(name).eval()
        rgb, depth = torch.rand(1, 3, height, width), torch.rand(1, 1, height, width)
        macs = macs_480[name] if (height, width) == (480, 640) else count_macs(model, rgb, depth)

        def forward(
            m: torch.nn.Module = model, r: torch.Tensor = rgb, d: torch.Tensor = depth
        ) -> object:
            return m(r, d)

        with torch.inference_mode():
            seconds = median_seconds(forward, args.runs, args.warmup)
        gflops = 2.0 * macs / seconds / 1e9
        print(
            f"| {name} | {height}x{width} | {macs / 1e9:.2f} | {seconds * 1e3:.1f} | "
            f"{gflops:.1f} | {gflops / reference:.3f} |",
            flush=True,
        )
    print(
        f"float32 1024x1024 matmul after the runs: {matmul_gflops(args.runs):.1f} GFLOP/s; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
