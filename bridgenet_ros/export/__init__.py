# SPDX-License-Identifier: Apache-2.0
"""Export: ONNX export with parity checks (:mod:`.onnx_export`).

The TensorRT engine builder and cache live in ``bridgenet_ros.runtime.backends``
(``tensorrt_build``, ``engine_cache``): the runtime builds a missing engine lazily and must not
import this package, and ``bridgenet build-engine`` calls them there. Nothing heavy is imported
here.
"""

from __future__ import annotations

__all__: list[str] = []
