# SPDX-License-Identifier: Apache-2.0
"""Inference backends behind one protocol (torch, onnxruntime, tensorrt) and their factory.

Only numpy is imported here; each backend imports its library when it is built.
"""

from __future__ import annotations

from bridgenet_ros.runtime.backends.base import Backend, ModelMeta
from bridgenet_ros.runtime.backends.factory import BACKEND_NAMES, create_backend

__all__ = ["BACKEND_NAMES", "Backend", "ModelMeta", "create_backend"]
