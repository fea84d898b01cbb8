#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Per-frame latency: deployment graph vs bare network vs the numpy pipeline (issue 14).

Usage (repository root; ``--device cuda`` needs onnxruntime-gpu and/or CUDA torch)::

    python scripts/deploy_latency.py [--model models/bridgenet_lite.pt] [--size 480x640]
        [--scale 8] [--runs 10] [--warmup 2] [--device cpu|cuda] [--precisions fp32 fp16]
        [--threads N] [--no-torch] [--out DIR]

Rows (median and 90th percentile ms over ``--runs`` calls of the same synthetic frame: RGB
``--size``, LR at ``1/--scale`` with 5 % holes):

* ``network``: ``backend.infer`` on ready network inputs (the bare network);
* ``pipeline``: ``DepthSRPipeline.run`` (numpy pre/post-processing on the host + the backend);
* ``graph``: ``GraphPipeline.run`` over the deployment graph (everything in the graph).

Backends: onnxruntime on ``--device`` (fp32 and fp16 exports), torch on ``--device`` (fp32),
TensorRT when ``tensorrt`` imports (network engine + graph engine, fp32/fp16). ``ratio`` is the
row's median over the bare network's median of the same backend and precision. Writes
``latency.md`` and ``latency.json`` into ``--out`` (default ``$OUT`` or ``runs/latency``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the node/bench: numpy must not compete

import numpy as np


def _size(text: str) -> tuple[int, int]:
    height, width = text.lower().split("x")
    return int(height), int(width)


def _frame(hw: tuple[int, int], scale: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    h, w = hw[0] // scale, hw[1] // scale
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    depth = (1.0 + 0.02 * x + 0.01 * y).astype(np.float32)
    depth[rng.random(depth.shape) < 0.05] = 0.0
    return rng.integers(0, 256, (*hw, 3), dtype=np.uint8), depth


def _times(
    fn: Callable[[], object], runs: int, warmup: int, sync: Callable[[], Any]
) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def _exports(model_path: Path, out: Path, precisions: list[str]) -> dict[str, Path]:
    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx
    from bridgenet_ros.model import load_model

    model = load_model(model_path, map_location="cpu")
    files = {}
    for prec in precisions:
        fp16 = prec == "fp16"
        files[f"net-{prec}"] = export_onnx(model, out / f"net_{prec}.onnx", fp16=fp16).path
        files[f"graph-{prec}"] = export_pipeline_onnx(
            model, out / f"graph_{prec}.onnx", fp16=fp16
        ).path
    return files


def _reference(files: dict[str, Path], args: argparse.Namespace) -> Any:
    """The numpy pipeline's fp32 result on the CPU (what every graph row is compared with)."""
    from bridgenet_ros.runtime.backends.factory import create_backend
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    net = files.get("net-fp32") or next(iter(files.values()))
    return DepthSRPipeline(create_backend("onnxruntime", net)).run(*_frame(args.size, args.scale))


def _configs(
    args: argparse.Namespace, files: dict[str, Path]
) -> list[tuple[str, str, str, dict[str, Any], Path]]:
    """``(backend, precision, kind, options, file)`` for every available combination."""
    import importlib.util

    from bridgenet_ros.runtime.backends.onnxruntime_backend import ort_available_providers

    rows = []
    cuda_ep = "CUDAExecutionProvider" in ort_available_providers()
    ort_dev = args.device if (args.device == "cpu" or cuda_ep) else None
    threads = {"intra_op_threads": args.threads} if args.threads else {}
    for prec in args.precisions:
        if ort_dev is not None:
            opts = {"device": ort_dev, **threads}
            rows.append((f"onnxruntime-{ort_dev}", prec, "net", opts, files[f"net-{prec}"]))
            rows.append((f"onnxruntime-{ort_dev}", prec, "graph", opts, files[f"graph-{prec}"]))
        if importlib.util.find_spec("tensorrt") is not None:
            opts = {"fp16": prec == "fp16", "cache_dir": str(args.out / "engines")}
            net_opts = {**opts, "input_hw": args.size}  # --size must be a stride multiple
            rows.append(("tensorrt", prec, "net", net_opts, files[f"net-{prec}"]))
            rows.append(
                (
                    "tensorrt",
                    prec,
                    "graph",
                    {**opts, "input_hw": args.size},
                    files[f"graph-{prec}"],
                )
            )
    if not args.no_torch:
        rows.append((f"torch-{args.device}", "fp32", "net", {"device": args.device}, args.model))
    return rows


def _measure(
    row: tuple[str, str, str, dict[str, Any], Path], args: argparse.Namespace, sync: Any
) -> list[dict[str, Any]]:
    """Time one backend/precision; graph rows also record their difference to the reference."""
    from bridgenet_ros.runtime.backends.factory import create_backend
    from bridgenet_ros.runtime.backends.graph_runner import create_graph_pipeline
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    name, prec, kind, opts, path = row
    rgb, depth = _frame(args.size, args.scale)
    backend_name = name.split("-")[0]
    results = []
    check: dict[str, Any] = {}
    if kind == "graph":
        pipe: Any = create_graph_pipeline(backend_name, path, **opts)
        got, ref = pipe.run(rgb, depth), args.reference
        check = {
            "mask_diff_px": int((got.mask_valid != ref.mask_valid).sum()),
            "max_diff_mm": float(np.nanmax(np.abs(got.depth_sr - ref.depth_sr)) * 1e3),
        }
        results.append(
            ("graph", _times(lambda: pipe.run(rgb, depth), args.runs, args.warmup, sync))
        )
    else:
        backend = create_backend(backend_name, path, **opts)
        pipe = DepthSRPipeline(backend)
        pre = pipe.preprocess(rgb, depth)
        infer = lambda: backend.infer(pre.rgb, pre.depth_lr_up_norm)  # noqa: E731
        results.append(("network", _times(infer, args.runs, args.warmup, sync)))
        results.append(
            ("pipeline", _times(lambda: pipe.run(rgb, depth), args.runs, args.warmup, sync))
        )
    pipe.backend.close()
    return [
        {
            "backend": name,
            "precision": prec,
            "kind": k,
            "median_ms": statistics.median(t),
            "p90_ms": float(np.percentile(t, 90)),
            "runs": len(t),
            **check,
        }
        for k, t in results
    ]


def _table(rows: list[dict[str, Any]], header: str) -> str:
    bare = {(r["backend"], r["precision"]): r["median_ms"] for r in rows if r["kind"] == "network"}
    lines = [
        header,
        "",
        "| backend | precision | what | median ms | p90 ms | ratio to network "
        "| graph vs numpy fp32 (max mm, mask px) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = bare.get((r["backend"], r["precision"]))
        ratio = f"{r['median_ms'] / base:.2f}" if base else "-"
        diff = f"{r['max_diff_mm']:.2f}, {r['mask_diff_px']}" if "max_diff_mm" in r else ""
        lines.append(
            f"| {r['backend']} | {r['precision']} | {r['kind']} | {r['median_ms']:.1f} | "
            f"{r['p90_ms']:.1f} | {ratio} | {diff} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Export, measure every available backend/precision, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/bridgenet_lite.pt"))
    parser.add_argument("--size", type=_size, default=(480, 640))
    parser.add_argument("--scale", type=int, default=8)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "fp16"])
    parser.add_argument("--no-torch", action="store_true", help="skip the torch backend rows")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "runs/latency"))
    args = parser.parse_args()
    import torch

    args.out.mkdir(parents=True, exist_ok=True)
    sync = (
        torch.cuda.synchronize
        if args.device == "cuda" and torch.cuda.is_available()
        else (lambda: None)
    )
    files = _exports(args.model, args.out, args.precisions)
    args.reference = _reference(files, args)
    rows: list[dict[str, Any]] = []
    for config in _configs(args, files):
        try:
            rows.extend(_measure(config, args, sync))
        except Exception as err:  # noqa: BLE001 - one backend failing must not hide the others
            print(f"skipped {config[0]} {config[1]} {config[2]}: {err}", file=sys.stderr)
    header = (
        f"{args.model.name} {args.size[0]}x{args.size[1]}, LR 1/{args.scale}, {args.device}, "
        f"{args.runs} runs after {args.warmup} warm-up, torch {torch.__version__}"
    )
    table = _table(rows, header)
    print(table)
    (args.out / "latency.md").write_text(table + "\n")
    (args.out / "latency.json").write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
