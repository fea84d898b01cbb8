# SPDX-License-Identifier: Apache-2.0
"""Measure the offline replay's throughput against the inference bound (docs/performance.md).

Writes a synthetic bag, runs the offline bench with onnxruntime on the CPU and prints the
throughput, the inference bound (1 / mean inference time), the pipeline bound (1 / mean
pre + inference + post) and both ratios. Uses ``--model`` or the shipped lite model; with
``--untrained-lite`` it exports a randomly initialised ``lite`` network instead (same graph and
cost as the trained one, so the timing is representative; its accuracy is not).

Usage::

    .venv/bin/python scripts/bench_replay.py --frames 30 --height 240 --width 320
    .venv/bin/python scripts/bench_replay.py --untrained-lite --frames 20 --height 480 --width 640
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def main() -> int:
    """Run the measurement and print one summary line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model file (.onnx or .pt)")
    parser.add_argument(
        "--untrained-lite",
        action="store_true",
        help="export a randomly initialised lite network to ONNX and time it",
    )
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--threads", type=int, default=2, help="torch/onnxruntime threads")
    parser.add_argument("--repeats", type=int, default=1, help="bench runs on the same bag")
    args = parser.parse_args()

    import torch

    from bridgenet_ros.malloc import tune_malloc

    tune_malloc()  # as the node and `bridgenet bench` do

    from bridgenet_ros.bench.bag_writer import BagWriteOptions, write_bag
    from bridgenet_ros.bench.offline import run_offline_bench
    from bridgenet_ros.bench.sources import open_frame_source
    from bridgenet_ros.cli.demo import resolve_demo_model
    from bridgenet_ros.stream.params import NodeConfig

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        if args.untrained_lite:
            from bridgenet_ros.export.onnx_export import export_onnx
            from bridgenet_ros.model import create_model

            torch.manual_seed(0)
            model = Path(tmp) / "lite_untrained.onnx"
            export_onnx(create_model("lite").eval(), model, check=False)
        else:
            model = resolve_demo_model(args.model)
        backend = "onnxruntime" if model.suffix == ".onnx" else "torch"
        bag = Path(tmp) / "bag"
        source = open_frame_source(
            "synthetic", limit=args.frames, height=args.height, width=args.width, seed=3
        )
        write_bag(bag, source.frames, BagWriteOptions(storage="mcap"))
        for _ in range(args.repeats):
            run = run_offline_bench(
                bag, NodeConfig(model_path=str(model), backend=backend), report_dir=None
            )
            r = run.report
            st = r["latency_ms"]["stages_detail"]
            print(
                f"{model.name} {backend} {args.width}x{args.height} frames={r['frames']}: "
                f"throughput {r['throughput_fps']:.3f} fps; inference mean "
                f"{st['inference']['mean']:.1f} ms (p50 {st['inference']['p50']:.1f}) -> "
                f"bound {r['inference_bound_fps']:.3f} fps, ratio {r['throughput_ratio']:.3f}; "
                f"pre {st['preprocess']['mean']:.1f} post {st['postprocess']['mean']:.1f} "
                f"decode {st['decode']['mean']:.2f} encode {st['encode']['mean']:.2f} ms; "
                f"pipeline-bound ratio {r['machinery_ratio']:.3f}; "
                f"peak RSS {r['peak_memory_mb']:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
