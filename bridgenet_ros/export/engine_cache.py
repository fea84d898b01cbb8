# SPDX-License-Identifier: Apache-2.0
"""TensorRT engine cache naming and sidecar JSON, for export-side callers.

The implementation lives in :mod:`bridgenet_ros.runtime.backends.engine_cache` (the runtime
uses it and must not import this package).
"""

from __future__ import annotations

from bridgenet_ros.runtime.backends.engine_cache import (
    EngineKey,
    file_sha256,
    read_sidecar,
    sidecar_path,
    write_sidecar,
)

__all__ = ["EngineKey", "file_sha256", "read_sidecar", "sidecar_path", "write_sidecar"]
