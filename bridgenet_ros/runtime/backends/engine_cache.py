# SPDX-License-Identifier: Apache-2.0
"""TensorRT engine cache: file names keyed by what makes an engine reusable, plus a sidecar JSON.

An engine is valid only for the TensorRT version and GPU that built it (the most common failure
users of TensorRT ROS nodes report is a stale engine after an upgrade). The cache file name
holds the ONNX file's hash, the precision, ``H x W``, the TensorRT version and the GPU name; the
sidecar JSON beside it repeats them together with the model metadata (stride, MDE head, config)
that the engine itself does not carry.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bridgenet_ros.errors import BackendError

__all__ = ["EngineKey", "file_sha256", "read_sidecar", "sidecar_path", "write_sidecar"]

SIDECAR_FORMAT = "bridgenet-engine-1"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower() or "unknown"


@dataclass(frozen=True)
class EngineKey:
    """What an engine depends on.

    Attributes:
        model_sha256: hash of the ONNX file.
        precision: ``fp32`` or ``fp16``.
        height: input height in pixels.
        width: input width in pixels.
        trt_version: ``tensorrt.__version__`` of the builder.
        gpu_name: CUDA device name.
    """

    model_sha256: str
    precision: str
    height: int
    width: int
    trt_version: str
    gpu_name: str

    def file_name(self, stem: str) -> str:
        """``<stem>-<hash16>-<precision>-<H>x<W>-trt<version>-<gpu>.engine``."""
        return (
            f"{_slug(stem)}-{self.model_sha256[:16]}-{self.precision}-{self.height}x"
            f"{self.width}-trt{_slug(self.trt_version)}-{_slug(self.gpu_name)}.engine"
        )

    def mismatches(self, other: EngineKey) -> list[str]:
        """Human-readable differences ``field: cached -> wanted``."""
        return [
            f"{name}: {value!r} -> {getattr(other, name)!r}"
            for name, value in asdict(self).items()
            if getattr(other, name) != value
        ]


def sidecar_path(engine_path: Path) -> Path:
    """``model.engine`` -> ``model.engine.json``."""
    return engine_path.with_name(engine_path.name + ".json")


def write_sidecar(
    engine_path: Path, key: EngineKey, metadata: dict[str, str], onnx_path: Path
) -> Path:
    """Write the sidecar JSON (key, model metadata, source ONNX) next to an engine."""
    data = {
        "format": SIDECAR_FORMAT,
        "key": asdict(key),
        "metadata": metadata,
        "onnx": str(onnx_path.resolve()),
    }
    path = sidecar_path(engine_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


def read_sidecar(engine_path: Path) -> tuple[EngineKey, dict[str, str], Path]:
    """Read an engine's sidecar.

    Returns:
        ``(key, metadata, onnx_path)``.

    Raises:
        BackendError: if the sidecar is missing or malformed (rebuild with
            ``bridgenet build-engine``).
    """
    path = sidecar_path(engine_path)
    if not path.is_file():
        raise BackendError(
            f"engine {engine_path} has no sidecar {path.name}: it was not built by "
            "`bridgenet build-engine`; build it with that command from the ONNX file"
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("format") != SIDECAR_FORMAT:
            raise ValueError(f"format {data.get('format')!r} != {SIDECAR_FORMAT!r}")
        key = EngineKey(**data["key"])
        return key, dict(data["metadata"]), Path(data["onnx"])
    except (ValueError, KeyError, TypeError) as err:
        raise BackendError(
            f"engine sidecar {path} is malformed ({err}); rebuild the engine"
        ) from err
