# SPDX-License-Identifier: Apache-2.0
"""bridgenet_ros: BridgeNet depth super-resolution for ROS 2.

Importing this package is cheap: it never imports torch, onnxruntime, tensorrt or rclpy.
"""

from __future__ import annotations

from bridgenet_ros.errors import (
    BackendError,
    BridgenetError,
    CheckpointError,
    ConfigError,
    DataError,
    ExportError,
    ShapeError,
    TrainingError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "BridgenetError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExportError",
    "ShapeError",
    "TrainingError",
    "__version__",
]
