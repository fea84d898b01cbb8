# SPDX-License-Identifier: Apache-2.0
"""``bridgenet info``: versions of the package and of the optional libraries it can use."""

from __future__ import annotations

import argparse
import importlib
import platform

HELP = "print package, Python and optional-library versions (torch, onnxruntime, tensorrt, rclpy)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    """Print one line per library: its version, or why it is unavailable."""
    from bridgenet_ros import __version__

    print(f"bridgenet_ros {__version__}  python {platform.python_version()}")
    for name in ("numpy", "torch", "onnx", "onnxruntime", "tensorrt", "pycuda", "rclpy", "cv2"):
        try:
            module = importlib.import_module(name)
            version = getattr(module, "__version__", "installed")
        except Exception as err:  # noqa: BLE001 - report any import failure as "unavailable"
            version = f"unavailable ({type(err).__name__}: {err})"
        print(f"  {name:12s} {version}")
    return 0
