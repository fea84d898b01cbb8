# SPDX-License-Identifier: Apache-2.0
"""Export: ONNX export with parity checks; TensorRT engine build and cache.

The engine builder and cache live in ``bridgenet_ros.runtime.backends`` (the runtime builds an
engine lazily and must not import this package); :mod:`.engine_build` and :mod:`.engine_cache`
re-export them for export-side callers. Nothing heavy is imported here.
"""

from __future__ import annotations

__all__: list[str] = []
