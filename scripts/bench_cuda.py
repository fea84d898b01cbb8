#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CUDA latency of the BridgeNet variants and of the whole runtime pipeline (docs/performance.md).

Usage (on a machine with a CUDA GPU and a CUDA build of torch)::

    python scripts/bench_cuda.py [--size 480x640] [--runs 50] [--warmup 10]
        [--variants paper lite dsr_only] [--checkpoint models/bridgenet_lite.pt]
        [--json out.json]

Model only: median of ``--runs`` forward passes under ``torch.inference_mode()``, each timed
with ``torch.cuda.synchronize()`` before and after (random weights: the latency does not depend
on them), in float32 and under ``torch.autocast(float16)``. Pipeline: ``DepthSRPipeline`` with
the torch backend on ``cuda`` and the given checkpoint, synthetic frames with the LR map at 1/4
of the RGB size and 5 % holes, medians of the per-stage timings (pre/post-processing run on the
CPU with numpy, as on the robot).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench_common import median_seconds, pipeline_stage_medians, synthetic_lr_frames


def _size(text: str) -> tuple[int, int]:
    height, width = text.lower().split("x")
    return int(height), int(width)


def _median_ms(fn: Callable[[], object], runs: int, warmup: int) -> float:
    import torch

    return 1e3 * median_seconds(fn, runs, warmup, sync=torch.cuda.synchronize)


def model_latency(variant: str, size: tuple[int, int], runs: int, warmup: int) -> dict[str, float]:
    """Median forward latency (ms) of a random-weight ``variant`` in fp32 and fp16 autocast."""
    import torch

    from bridgenet_ros.model import create_model

    torch.manual_seed(0)
    model = create_model(variant).eval().cuda()
    rgb = torch.rand(1, 3, *size, device="cuda")
    depth = torch.rand(1, 1, *size, device="cuda")
    out: dict[str, float] = {}
    with torch.inference_mode():
        out["fp32_ms"] = _median_ms(lambda: model(rgb, depth), runs, warmup)
        with torch.autocast("cuda", dtype=torch.float16):
            out["fp16_autocast_ms"] = _median_ms(lambda: model(rgb, depth), runs, warmup)
    return out


def pipeline_latency(
    checkpoint: Path, size: tuple[int, int], runs: int, warmup: int
) -> dict[str, float]:
    """Median per-stage times (ms) of ``DepthSRPipeline`` with the torch backend on CUDA."""
    from bridgenet_ros.runtime.backends.factory import create_backend
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    pipeline = DepthSRPipeline(create_backend("torch", checkpoint, device="cuda"))
    frames = synthetic_lr_frames(runs, *size)
    medians = pipeline_stage_medians(pipeline, frames, warmup)
    return {f"{key}_ms": value for key, value in medians.items()}


def main() -> int:
    """Run the benchmark, print Markdown tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=_size, default=(480, 640))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--variants", nargs="+", default=["paper", "lite", "dsr_only"])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="trained checkpoint(s) for the pipeline timing (repeatable)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        print("no CUDA device (torch.cuda.is_available() is False): nothing to measure")
        return 2
    height, width = args.size
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "size": [height, width],
        "runs": args.runs,
        "models": {},
        "pipelines": {},
    }
    for variant in args.variants:
        report["models"][variant] = model_latency(variant, args.size, args.runs, args.warmup)
    for checkpoint in args.checkpoint:
        report["pipelines"][checkpoint.name] = pipeline_latency(
            checkpoint, args.size, args.runs, args.warmup
        )
    print(
        f"{report['device']}, torch {report['torch']}, {height}x{width}, "
        f"medians of {args.runs} runs"
    )
    print("| variant | fp32 ms | fp16 autocast ms |")
    print("|---|---|---|")
    for variant, row in report["models"].items():
        print(f"| {variant} | {row['fp32_ms']:.2f} | {row['fp16_autocast_ms']:.2f} |")
    if report["pipelines"]:
        print(
            "| pipeline (torch cuda) | preprocess ms | inference ms | postprocess ms | "
            "total ms | pre+post % of inference |"
        )
        print("|---|---|---|---|---|---|")
        for name, row in report["pipelines"].items():
            share = 100.0 * (row["preprocess_ms"] + row["postprocess_ms"]) / row["inference_ms"]
            print(
                f"| {name} | {row['preprocess_ms']:.2f} | {row['inference_ms']:.2f} | "
                f"{row['postprocess_ms']:.2f} | {row['total_ms']:.2f} | {share:.0f} % |"
            )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
