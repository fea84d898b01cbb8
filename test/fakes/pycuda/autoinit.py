# SPDX-License-Identifier: Apache-2.0
"""``pycuda.autoinit`` is forbidden in bridgenet_ros (it breaks multi-threaded nodes)."""

from __future__ import annotations

raise ImportError("pycuda.autoinit must not be used: retain the primary context and push/pop it")
