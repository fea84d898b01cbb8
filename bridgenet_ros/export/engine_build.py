# SPDX-License-Identifier: Apache-2.0
"""TensorRT engine building for export-side callers (``bridgenet build-engine``).

The implementation lives in :mod:`bridgenet_ros.runtime.backends.tensorrt_build` because the
runtime builds a missing engine lazily and must not import this package.
"""

from __future__ import annotations

from bridgenet_ros.runtime.backends.tensorrt_build import (
    build_engine,
    ensure_engine,
    import_tensorrt,
    onnx_metadata,
)

__all__ = ["build_engine", "ensure_engine", "import_tensorrt", "onnx_metadata"]
