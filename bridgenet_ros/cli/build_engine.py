# SPDX-License-Identifier: Apache-2.0
"""``bridgenet build-engine``: build (or reuse) a cached TensorRT engine from an exported ONNX.

The builder and the cache are the runtime's (:mod:`bridgenet_ros.runtime.backends.tensorrt_build`,
:mod:`bridgenet_ros.runtime.backends.engine_cache`): the node builds a missing engine the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bridgenet_ros.errors import ConfigError

HELP = "build a TensorRT engine from a bridgenet ONNX into the engine cache (reused if valid)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bridgenet build-engine``."""
    parser.add_argument("--onnx", required=True, help="ONNX written by `bridgenet export`")
    parser.add_argument("--fp16", action="store_true", help="FP16 engine")
    parser.add_argument(
        "--workspace-mb",
        type=int,
        default=1024,
        help="builder workspace limit in MiB (default 1024)",
    )
    parser.add_argument("--height", type=int, default=None, help="engine input height")
    parser.add_argument("--width", type=int, default=None, help="engine input width")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="engine cache folder (default ~/.cache/bridgenet_ros/engines)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if a valid one exists")
    parser.add_argument(
        "--cuda-api",
        default="auto",
        choices=("auto", "pycuda", "cuda-python"),
        help="CUDA binding used to query the GPU",
    )


def run(args: argparse.Namespace) -> int:
    """Build or reuse the engine and print its path."""
    if (args.height is None) != (args.width is None):
        raise ConfigError("--height and --width go together")
    if args.workspace_mb <= 0:
        raise ConfigError(f"--workspace-mb must be positive, got {args.workspace_mb}")
    from bridgenet_ros.runtime.backends.cuda_memory import open_cuda
    from bridgenet_ros.runtime.backends.tensorrt_backend import DEFAULT_CACHE_DIR
    from bridgenet_ros.runtime.backends.tensorrt_build import ensure_engine, import_tensorrt

    import_tensorrt()  # a missing TensorRT is named first, before the CUDA binding
    cuda = open_cuda(args.cuda_api)
    try:
        gpu = cuda.device_name()
    finally:
        cuda.close()
    hw = None if args.height is None else (args.height, args.width)
    path = ensure_engine(
        Path(args.onnx),
        cache_dir=Path(args.cache_dir) if args.cache_dir else DEFAULT_CACHE_DIR,
        gpu_name=gpu,
        input_hw=hw,
        fp16=args.fp16,
        workspace_mb=args.workspace_mb,
        force=args.force,
    )
    print(f"engine: {path}")
    return 0
