#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Per-stage latency of DepthSRPipeline for the CPU backends (torch eager, onnxruntime).

Usage::

    .venv/bin/python scripts/bench_runtime.py --variant lite --height 480 --width 640 \
        --frames 20 --threads 2

Builds a random-weight model (latency does not depend on the weights), exports it to ONNX in a
temporary folder, runs the same synthetic frames (LR = RGB size / 4) through each backend and
prints medians of preprocess / inference / postprocess in ms, pre+post as % of inference, and
the onnxruntime vs torch inference speed ratio.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

# numpy's BLAS only does small matrix products here (resizes, hole filling); its own thread pool
# competing with torch/onnxruntime threads costs 10-30x on a loaded 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench_common import pipeline_stage_medians, synthetic_lr_frames


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", default="lite")
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--opt-level", default="all", choices=("disable", "basic", "extended", "all")
    )
    args = parser.parse_args()

    import torch

    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.model import create_model, save_checkpoint
    from bridgenet_ros.runtime.backends.factory import create_backend
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    frames = synthetic_lr_frames(args.frames, args.height, args.width)
    with tempfile.TemporaryDirectory() as tmp:
        pt = Path(tmp) / f"bridgenet_{args.variant}.pt"
        model = create_model(args.variant).eval()
        save_checkpoint(pt, model, {"note": "benchmark, random weights"})
        onnx_path = export_onnx(model, pt.with_suffix(".onnx"), input_hw=None).path
        config = RuntimeConfig()
        backends = {
            "torch": create_backend("torch", pt),
            "onnxruntime": create_backend(
                "onnxruntime",
                onnx_path,
                intra_op_threads=args.threads,
                graph_optimization_level=args.opt_level,
            ),
        }
        results = {
            name: pipeline_stage_medians(DepthSRPipeline(b, config), frames, args.warmup)
            for name, b in backends.items()
        }
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(
        f"variant {args.variant}, {args.height}x{args.width}, LR /4 with 5 % holes, "
        f"{args.frames} frames (medians), {args.threads} threads, ORT opt {args.opt_level}"
    )
    print("| backend | preprocess ms | inference ms | postprocess ms | pre+post % of inference |")
    print("|---|---|---|---|---|")
    for name, res in results.items():
        share = 100.0 * (res["preprocess"] + res["postprocess"]) / res["inference"]
        print(
            f"| {name} | {res['preprocess']:.1f} | {res['inference']:.1f} | "
            f"{res['postprocess']:.1f} | {share:.1f} % |"
        )
    ratio = results["torch"]["inference"] / results["onnxruntime"]["inference"]
    print(f"onnxruntime vs torch eager inference speed ratio: {ratio:.2f}x")


if __name__ == "__main__":
    main()
