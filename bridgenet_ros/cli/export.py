# SPDX-License-Identifier: Apache-2.0
"""``bridgenet export``: checkpoint (.pt) to ONNX with metadata, checker and parity check."""

from __future__ import annotations

import argparse

from bridgenet_ros.errors import ConfigError

HELP = "export a checkpoint to ONNX (opset 17) and check it against torch with onnxruntime"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bridgenet export``."""
    parser.add_argument("--model", required=True, help="checkpoint .pt (bridgenet train output)")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--height", type=int, default=None, help="fixed input height (pixels)")
    parser.add_argument("--width", type=int, default=None, help="fixed input width (pixels)")
    parser.add_argument("--dynamic", action="store_true", help="dynamic input height/width")
    parser.add_argument(
        "--fp16", action="store_true", help="float16 weights/compute with float32 inputs/outputs"
    )
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="deployment graph: rgb uint8 (H, W, 3) + depth_lr float32 metres (h, w), any sizes, "
        "-> metric depth at the RGB size with NaN where invalid (docs/deployment.md)",
    )
    parser.add_argument(
        "--min-depth", type=float, default=None, help="--pipeline: smallest valid depth (m)"
    )
    parser.add_argument(
        "--max-depth", type=float, default=None, help="--pipeline: largest valid depth (m)"
    )
    parser.add_argument(
        "--support-radius",
        type=int,
        default=2,
        help="--pipeline: output valid only within this many LR pixels of a valid one "
        "(-1: no check; default 2, as the runtime)",
    )
    parser.add_argument(
        "--flat-guard",
        action="store_true",
        help="--pipeline: bake in the flat guard (runtime flat_guard: keep the up-sampled input "
        "where the LR depth is locally a plane; docs/ros.md)",
    )


def _load(path: str) -> object:
    """The checkpoint's model on the CPU."""
    from bridgenet_ros.errors import CheckpointError
    from bridgenet_ros.model import load_model

    try:
        return load_model(path, map_location="cpu")
    except FileNotFoundError as err:
        raise CheckpointError(f"checkpoint {path} does not exist") from err


def _run_pipeline(args: argparse.Namespace, model: object) -> int:
    """``--pipeline``: write the deployment graph and print its parity figure."""
    if args.height is not None or args.width is not None or args.dynamic:
        raise ConfigError(
            "--pipeline graphs take any RGB and LR size: drop --height/--width/--dynamic"
        )
    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx
    from bridgenet_ros.runtime.graph_pipeline import GraphSettings

    radius = None if args.support_radius < 0 else args.support_radius
    settings = GraphSettings(
        min_depth=args.min_depth,
        max_depth=args.max_depth,
        support_radius_px=radius,
        flat_guard=args.flat_guard,
    )
    report = export_pipeline_onnx(model, args.out, settings, fp16=args.fp16, opset=args.opset)
    print(
        f"wrote deployment graph {report.path} ({report.meta.variant}, {report.meta.precision}, "
        f"opset {args.opset}, depth limits [{args.min_depth}, {args.max_depth}] m); onnxruntime "
        f"vs the numpy pipeline: max diff {report.max_rel_diff:.3g} of the LR depth range"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Export and print the parity figure; exit 0 on success."""
    if args.pipeline:
        return _run_pipeline(args, _load(args.model))
    if args.dynamic and (args.height is not None or args.width is not None):
        raise ConfigError("give either --height/--width or --dynamic, not both")
    if (args.height is None) != (args.width is None):
        raise ConfigError("--height and --width go together")
    if not args.dynamic and args.height is None:
        raise ConfigError("give the input size with --height H --width W, or --dynamic")
    from bridgenet_ros.export.onnx_export import export_onnx

    model = _load(args.model)
    hw = None if args.dynamic else (args.height, args.width)
    report = export_onnx(model, args.out, input_hw=hw, fp16=args.fp16, opset=args.opset)
    size = "dynamic" if hw is None else f"{hw[0]}x{hw[1]}"
    print(
        f"wrote {report.path} ({report.meta.variant}, {report.meta.precision}, {size}, opset "
        f"{args.opset}); onnxruntime vs torch max abs diff {report.max_abs_diff:.3g} at "
        f"{report.check_hw[0]}x{report.check_hw[1]} (tolerance {report.tolerance:g})"
    )
    return 0
