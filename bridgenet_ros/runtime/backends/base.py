# SPDX-License-Identifier: Apache-2.0
"""The inference backend protocol and the model facts every backend exposes.

A backend runs the network on normalized arrays::

    depth_sr_norm, depth_mde_norm = backend.infer(rgb, depth_lr_up_norm)

with ``rgb`` ``(1, 3, H, W)`` float32 in 0..1, ``depth_lr_up_norm`` ``(1, 1, H, W)`` float32
and outputs ``(1, 1, H, W)`` float32 (``depth_mde_norm`` is ``None`` for ``dsr_only`` models).
``H`` and ``W`` are multiples of ``backend.stride``; a fixed-size engine also fixes them to
``backend.input_hw``.

The model facts (stride, MDE head, input size, resolved config) travel with every artefact:
inside the checkpoint, as ONNX ``metadata_props`` (keys :data:`META_KEYS`, written by the
exporter) and in the sidecar JSON of a TensorRT engine. Backends read them, never guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from bridgenet_ros.errors import BackendError, ShapeError

__all__ = [
    "GRAPH_KEY",
    "INPUT_NAMES",
    "META_KEYS",
    "OUTPUT_NAMES",
    "SETTINGS_KEY",
    "Backend",
    "ModelMeta",
    "check_infer_inputs",
    "check_infer_outputs",
    "is_pipeline_graph",
]

#: ONNX / engine input tensor names, in order.
INPUT_NAMES = ("rgb", "depth_lr_up_norm")
#: ONNX / engine output tensor names, in order (the second only when the model has an MDE head).
OUTPUT_NAMES = ("depth_sr_norm", "depth_mde_norm")

#: metadata_props keys written by the exporter and read by the backends.
META_KEYS = {
    "format": "bridgenet.format",
    "variant": "bridgenet.variant",
    "stride": "bridgenet.stride",
    "has_mde": "bridgenet.has_mde",
    "input_height": "bridgenet.input_height",
    "input_width": "bridgenet.input_width",
    "precision": "bridgenet.precision",
    "config": "bridgenet.config",
    "git_revision": "bridgenet.git_revision",
}
META_FORMAT = "bridgenet-onnx-1"
#: metadata key marking a deployment graph (``bridgenet export --pipeline``; value ``pipeline``).
GRAPH_KEY = "bridgenet.graph"
#: metadata key holding a deployment graph's baked-in runtime settings as JSON.
SETTINGS_KEY = "bridgenet.pipeline_settings"


def is_pipeline_graph(props: Mapping[str, str]) -> bool:
    """Whether ONNX/engine metadata ``props`` describe a deployment graph."""
    return props.get(GRAPH_KEY) == "pipeline"


@dataclass(frozen=True)
class ModelMeta:
    """Facts about an exported model that the runtime needs.

    Attributes:
        variant: model variant name (``lite``, ``test``...).
        stride: input sizes must be multiples of this.
        has_mde: whether the model returns ``depth_mde_norm``.
        input_hw: fixed ``(H, W)`` of the exported graph, ``None`` when dynamic.
        precision: ``fp32`` or ``fp16`` (the graph's compute precision; I/O is float32).
        config: the resolved model config mapping.
        git_revision: revision of the exporting source tree (``unknown`` outside git).
    """

    variant: str
    stride: int
    has_mde: bool
    input_hw: tuple[int, int] | None
    precision: str = "fp32"
    config: Mapping[str, Any] = field(default_factory=dict)
    git_revision: str = "unknown"

    def to_metadata_props(self) -> dict[str, str]:
        """String key/value pairs for ONNX ``metadata_props`` or a sidecar JSON."""
        height, width = self.input_hw if self.input_hw else ("dynamic", "dynamic")
        return {
            META_KEYS["format"]: META_FORMAT,
            META_KEYS["variant"]: self.variant,
            META_KEYS["stride"]: str(self.stride),
            META_KEYS["has_mde"]: "true" if self.has_mde else "false",
            META_KEYS["input_height"]: str(height),
            META_KEYS["input_width"]: str(width),
            META_KEYS["precision"]: self.precision,
            META_KEYS["config"]: json.dumps(dict(self.config), sort_keys=True),
            META_KEYS["git_revision"]: self.git_revision,
        }

    @classmethod
    def from_metadata_props(cls, props: Mapping[str, str], source: str) -> ModelMeta:
        """Parse :meth:`to_metadata_props` output.

        Args:
            props: metadata key/value strings.
            source: file name for error messages.

        Raises:
            BackendError: if a key is missing or malformed (re-export the model with
                ``bridgenet export``).
        """
        missing = [key for key in META_KEYS.values() if key not in props]
        if missing:
            raise BackendError(
                f"{source} lacks the bridgenet metadata {missing}: it was not written by "
                "`bridgenet export`; re-export it from the checkpoint"
            )
        if props[META_KEYS["format"]] != META_FORMAT:
            raise BackendError(
                f"{source}: unsupported metadata format {props[META_KEYS['format']]!r} "
                f"(expected {META_FORMAT!r}); re-export it with this version"
            )
        try:
            stride = int(props[META_KEYS["stride"]])
            height_s, width_s = props[META_KEYS["input_height"]], props[META_KEYS["input_width"]]
            input_hw = None if height_s == "dynamic" else (int(height_s), int(width_s))
            config = json.loads(props[META_KEYS["config"]])
        except (ValueError, json.JSONDecodeError) as err:
            raise BackendError(f"{source}: malformed bridgenet metadata: {err}") from err
        has_mde_s = props[META_KEYS["has_mde"]]
        if has_mde_s not in ("true", "false"):
            raise BackendError(f"{source}: bridgenet.has_mde must be true/false, got {has_mde_s}")
        return cls(
            variant=props[META_KEYS["variant"]],
            stride=stride,
            has_mde=has_mde_s == "true",
            input_hw=input_hw,
            precision=props[META_KEYS["precision"]],
            config=config,
            git_revision=props[META_KEYS["git_revision"]],
        )


@runtime_checkable
class Backend(Protocol):
    """What :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline` needs from a backend."""

    name: str
    stride: int
    input_hw: tuple[int, int] | None
    has_mde: bool

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the network.

        Args:
            rgb: ``(1, 3, H, W)`` float32 in 0..1.
            depth_lr_up_norm: ``(1, 1, H, W)`` float32 normalized LR depth on the model grid.

        Returns:
            ``(depth_sr_norm, depth_mde_norm)``, each ``(1, 1, H, W)`` float32; the second is
            ``None`` when ``has_mde`` is False.
        """
        ...

    def close(self) -> None:
        """Release sessions, engines and device memory."""
        ...


def check_infer_inputs(
    rgb: np.ndarray, depth_lr_up_norm: np.ndarray, stride: int, input_hw: tuple[int, int] | None
) -> None:
    """Validate :meth:`Backend.infer` inputs.

    Raises:
        ShapeError: on wrong rank, dtype, channel count, mismatched or non-stride sizes.
    """
    if rgb.dtype != np.float32 or depth_lr_up_norm.dtype != np.float32:
        raise ShapeError(
            f"backend inputs must be float32, got rgb {rgb.dtype} and depth "
            f"{depth_lr_up_norm.dtype}"
        )
    if rgb.ndim != 4 or rgb.shape[:2] != (1, 3):
        raise ShapeError(f"backend rgb must be (1, 3, H, W), got {rgb.shape}")
    if depth_lr_up_norm.shape != (1, 1) + rgb.shape[2:]:
        raise ShapeError(
            f"backend depth_lr_up_norm must be (1, 1, H, W) matching rgb {rgb.shape}, got "
            f"{depth_lr_up_norm.shape}"
        )
    height, width = rgb.shape[2:]
    if height % stride or width % stride:
        raise ShapeError(
            f"backend input size {height}x{width} is not a multiple of the model stride {stride};"
            " pad it (runtime.padding.pad_to_multiple)"
        )
    if input_hw is not None and (height, width) != tuple(input_hw):
        raise ShapeError(
            f"backend input size {height}x{width} differs from the fixed engine/graph size "
            f"{input_hw[0]}x{input_hw[1]}; set RuntimeConfig.model_height/model_width to it or "
            "export/build with --dynamic or a matching --height/--width"
        )


def check_infer_outputs(
    outputs: tuple[np.ndarray, np.ndarray | None], hw: tuple[int, int], has_mde: bool, name: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate and convert backend outputs to float32 ``(1, 1, H, W)``.

    Raises:
        BackendError: if the backend returned the wrong shapes.
    """
    expected = (1, 1) + tuple(hw)
    sr = np.asarray(outputs[0], dtype=np.float32)
    if sr.shape != expected:
        raise BackendError(
            f"{name} backend returned depth_sr_norm {sr.shape}, expected {expected}"
        )
    mde = outputs[1]
    if has_mde:
        if mde is None:
            raise BackendError(f"{name} backend has an MDE head but returned no depth_mde_norm")
        mde = np.asarray(mde, dtype=np.float32)
        if mde.shape != expected:
            raise BackendError(
                f"{name} backend returned depth_mde_norm {mde.shape}, expected {expected}"
            )
    else:
        mde = None
    return sr, mde
