# SPDX-License-Identifier: Apache-2.0
"""Exception hierarchy of bridgenet_ros.

Every error raised on purpose by the package derives from :class:`BridgenetError`, so callers
(the CLI, the node, the bench) can tell a known failure with a helpful message from a bug.
Messages say what failed, the offending value, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BridgenetError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExportError",
    "ShapeError",
    "TrainingError",
]


class BridgenetError(Exception):
    """Base class of all errors raised by bridgenet_ros on purpose."""


class ConfigError(BridgenetError, ValueError):
    """A configuration value or file is invalid (unknown key, out-of-range value, bad YAML)."""


class DataError(BridgenetError):
    """A dataset, file, image or message could not be read or is inconsistent."""


class CheckpointError(BridgenetError):
    """A model checkpoint is missing, corrupt or of an unknown format."""


class ShapeError(BridgenetError, ValueError):
    """An array or tensor has the wrong shape, dtype or size."""


class ExportError(BridgenetError):
    """ONNX export, parity check or TensorRT engine build failed."""


class BackendError(BridgenetError):
    """An inference backend is unavailable, misconfigured or failed at run time."""


class TrainingError(BridgenetError):
    """Training failed at run time (the loss diverged to NaN or infinity)."""
