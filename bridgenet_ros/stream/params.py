# SPDX-License-Identifier: Apache-2.0
"""Node parameters: the :class:`NodeConfig` dataclass, its table and range checks (ROS-free).

One table (:data:`PARAMETERS`) drives everything: the dataclass defaults, the ROS parameter
descriptors (type, description, ranges, ``read_only``; built by
:mod:`bridgenet_ros.ros.declare_params`), the range checks run at start-up and on every run-time
change, and the documentation in ``docs/ros.md``. Parameters that need the model or engine to be
rebuilt are read-only; the others may be changed while the node runs. The node, the offline
bench and the demo all build their :class:`NodeConfig` here; nothing in this module needs ROS.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.backends.factory import BACKEND_NAMES
from bridgenet_ros.stream.extrinsic import Extrinsic

__all__ = [
    "DEFAULT_MODEL_NAME",
    "INPUT_RELIABILITIES",
    "OUTPUT_RESOLUTIONS",
    "PARAMETERS",
    "PRECISIONS",
    "NodeConfig",
    "ParameterSpec",
    "config_from_mapping",
    "default_model_path",
    "installed_share_dir",
    "resolve_model_path",
]

PRECISIONS: tuple[str, ...] = ("fp32", "fp16")
OUTPUT_RESOLUTIONS: tuple[str, ...] = ("rgb", "model")
#: input QoS reliability modes (bridgenet_ros.ros.qos explains auto)
INPUT_RELIABILITIES: tuple[str, ...] = ("auto", "reliable", "best_effort")
MODEL_SUFFIXES: tuple[str, ...] = (".onnx", ".pt", ".engine")
DEFAULT_MODEL_NAME = "bridgenet_lite.onnx"
PACKAGE = "bridgenet_ros"


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter.

    Attributes:
        name: parameter name (snake_case, also the ``NodeConfig`` field).
        kind: ``str``, ``int``, ``float``, ``bool`` or ``list`` (a list of numbers, declared as
            a ROS double array; :class:`NodeConfig` stores it as a tuple of floats).
        description: one line for the descriptor and the docs.
        read_only: needs a rebuild of the model/engine, so it is fixed after start-up.
        low: inclusive lower bound (numbers only).
        high: inclusive upper bound (numbers only).
        lengths: allowed list lengths (``list`` only).
        choices: allowed values (strings only).
    """

    name: str
    kind: type
    description: str
    read_only: bool
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    lengths: tuple[int, ...] = ()


PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "model_path",
        str,
        "model file (.onnx, .pt or .engine); empty = the installed models/bridgenet_lite.onnx",
        read_only=True,
    ),
    ParameterSpec(
        "backend",
        str,
        "inference backend; auto picks tensorrt > onnxruntime > torch",
        read_only=True,
        choices=BACKEND_NAMES,
    ),
    ParameterSpec(
        "precision",
        str,
        "inference precision (fp16 used by tensorrt/CUDA only)",
        read_only=True,
        choices=PRECISIONS,
    ),
    ParameterSpec(
        "engine_cache_dir",
        str,
        "TensorRT engine cache folder; empty = ~/.cache/bridgenet_ros/engines",
        read_only=True,
    ),
    ParameterSpec(
        "force_engine_rebuild",
        bool,
        "rebuild the TensorRT engine even if cached",
        read_only=True,
    ),
    ParameterSpec(
        "cpu_threads",
        int,
        "onnxruntime CPU threads per operator (intra-op); 0 = onnxruntime's default (all cores)",
        read_only=True,
        low=0,
        high=256,
    ),
    ParameterSpec(
        "model_height",
        int,
        "network input height in pixels; 0 = the RGB image height",
        read_only=True,
        low=0,
        high=4096,
    ),
    ParameterSpec(
        "model_width",
        int,
        "network input width in pixels; 0 = the RGB image width",
        read_only=True,
        low=0,
        high=4096,
    ),
    ParameterSpec(
        "output_resolution",
        str,
        "grid of depth_sr: rgb = the RGB image size, model = the network input size",
        read_only=True,
        choices=OUTPUT_RESOLUTIONS,
    ),
    ParameterSpec(
        "input_reliability",
        str,
        "input QoS reliability: auto = reliable when every publisher of an input is reliable, "
        "else best effort (re-checked as publishers come and go)",
        read_only=True,
        choices=INPUT_RELIABILITIES,
    ),
    ParameterSpec(
        "sync_queue_size",
        int,
        "messages kept per input while waiting for a partner",
        read_only=False,
        low=1,
        high=100,
    ),
    ParameterSpec(
        "sync_slop",
        float,
        "largest RGB/depth stamp difference of a pair, seconds",
        read_only=False,
        low=0.0,
        high=1.0,
    ),
    ParameterSpec(
        "min_depth",
        float,
        "output depth below this (metres) is set invalid (NaN)",
        read_only=False,
        low=0.0,
        high=1000.0,
    ),
    ParameterSpec(
        "max_depth",
        float,
        "output depth above this (metres) is set invalid (NaN)",
        read_only=False,
        low=0.001,
        high=1000.0,
    ),
    ParameterSpec(
        "publish_mde",
        bool,
        "also publish the monocular estimate on depth_mde/*",
        read_only=False,
    ),
    ParameterSpec(
        "diagnostics_period",
        float,
        "seconds between /diagnostics messages",
        read_only=False,
        low=0.1,
        high=60.0,
    ),
    ParameterSpec(
        "max_input_pixels",
        int,
        "images with more pixels than this are rejected as oversized (default 3840x2160)",
        read_only=False,
        low=1,
        high=100_000_000,
    ),
    ParameterSpec(
        "align_depth",
        str,
        "auto = estimate each frame's shift of the depth against the RGB from their edges and "
        "move the depth onto the RGB before super-resolution (bridgenet_ros.runtime.align); "
        "off = trust the registration",
        read_only=True,
        choices=("off", "auto"),
    ),
    ParameterSpec(
        "flat_guard",
        bool,
        "keep the up-sampled input depth where the LR depth is locally a plane and use the "
        "network only where it is not (bridgenet_ros.runtime.flat_guard; no flat-wall artefacts)",
        read_only=True,
    ),
    ParameterSpec(
        "register_depth",
        bool,
        "reproject the depth into the RGB camera before super-resolution (needs "
        "depth/camera_info and depth_to_rgb or depth_to_rgb_from_tf)",
        read_only=True,
    ),
    ParameterSpec(
        "depth_to_rgb",
        list,
        "depth optical frame -> RGB optical frame as [x, y, z, qx, qy, qz, qw] (metres, unit "
        "quaternion; what `tf2_echo <rgb_frame> <depth_frame>` prints); empty = not set",
        read_only=True,
        lengths=(0, 7),
    ),
    ParameterSpec(
        "depth_to_rgb_from_tf",
        bool,
        "look depth_to_rgb up in TF between the images' frame ids (needs tf2_ros)",
        read_only=True,
    ),
)

_SPECS: dict[str, ParameterSpec] = {spec.name: spec for spec in PARAMETERS}


@dataclass(frozen=True)
class NodeConfig:
    """Validated node parameters (see :data:`PARAMETERS` for meanings and ranges).

    Raises:
        ConfigError: on construction, naming the field and value, when a value is out of range,
            of the wrong type, or ``min_depth >= max_depth``.
    """

    model_path: str = ""
    backend: str = "auto"
    precision: str = "fp32"
    engine_cache_dir: str = ""
    force_engine_rebuild: bool = False
    cpu_threads: int = 0
    model_height: int = 0
    model_width: int = 0
    output_resolution: str = "rgb"
    input_reliability: str = "auto"
    sync_queue_size: int = 10
    sync_slop: float = 0.05
    min_depth: float = 0.1
    max_depth: float = 10.0
    publish_mde: bool = False
    diagnostics_period: float = 1.0
    # 4K UHD: the largest frame common RGB-D drivers publish. 4096x4096 let one bad message
    # stall the node ~30 s and take ~6 GB (issue 13); 12 MP sensors must raise it explicitly.
    max_input_pixels: int = 3840 * 2160
    align_depth: str = "off"
    flat_guard: bool = False
    register_depth: bool = False
    depth_to_rgb: tuple[float, ...] = ()
    depth_to_rgb_from_tf: bool = False

    def __post_init__(self) -> None:
        for spec in PARAMETERS:
            value = getattr(self, spec.name)
            problem = check_value(spec, value)
            if problem:
                raise ConfigError(f"parameter {spec.name}={value!r}: {problem}")
            if spec.kind is float:
                object.__setattr__(self, spec.name, float(value))
            elif spec.kind is list:
                object.__setattr__(self, spec.name, tuple(float(v) for v in value))
        self._check_ranges()
        self._check_registration()

    def _check_ranges(self) -> None:
        """Checks across fields: depth limits, model size, model file suffix."""
        if self.min_depth >= self.max_depth:
            raise ConfigError(
                f"parameter min_depth={self.min_depth!r} must be below "
                f"max_depth={self.max_depth!r}"
            )
        if (self.model_height == 0) != (self.model_width == 0):
            raise ConfigError(
                f"parameters model_height={self.model_height} and model_width={self.model_width}"
                " must both be 0 (use the RGB size) or both be set"
            )
        if self.model_path and Path(self.model_path).suffix not in MODEL_SUFFIXES:
            raise ConfigError(
                f"parameter model_path={self.model_path!r}: expected a file ending in "
                f"{' / '.join(MODEL_SUFFIXES)}"
            )

    def _check_registration(self) -> None:
        """Exactly one extrinsic source with ``register_depth``; the extrinsic must parse."""
        if self.depth_to_rgb:
            try:
                Extrinsic.from_mapping(list(self.depth_to_rgb))
            except ConfigError as err:
                raise ConfigError(
                    f"parameter depth_to_rgb={list(self.depth_to_rgb)!r}: {err}; expected "
                    "[x, y, z, qx, qy, qz, qw] in metres with a unit quaternion"
                ) from err
        if not self.register_depth:
            return
        if self.depth_to_rgb and self.depth_to_rgb_from_tf:
            raise ConfigError(
                "register_depth: give the extrinsic once: depth_to_rgb is set and "
                "depth_to_rgb_from_tf is true; empty depth_to_rgb or set depth_to_rgb_from_tf "
                "false"
            )
        if not self.depth_to_rgb and not self.depth_to_rgb_from_tf:
            raise ConfigError(
                "register_depth is true but no extrinsic is given: set depth_to_rgb to "
                "[x, y, z, qx, qy, qz, qw] (depth optical frame -> RGB optical frame, metres) or "
                "depth_to_rgb_from_tf: true"
            )

    def extrinsic(self) -> Extrinsic | None:
        """The ``depth_to_rgb`` parameter as an :class:`Extrinsic`, ``None`` when empty."""
        return Extrinsic.from_mapping(list(self.depth_to_rgb)) if self.depth_to_rgb else None

    def replace(self, **changes: Any) -> NodeConfig:
        """Return a validated copy with ``changes`` applied."""
        unknown = sorted(set(changes) - set(_SPECS))
        if unknown:
            raise ConfigError(f"unknown parameter(s) {unknown}")
        return dataclasses.replace(self, **changes)


def check_value(spec: ParameterSpec, value: Any) -> str:
    """Return why ``value`` is not acceptable for ``spec``, or an empty string."""
    if spec.kind in _KIND_CHECKS:
        return _KIND_CHECKS[spec.kind](spec, value)
    if spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return "expected an integer"
    elif spec.kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "expected a number"
        if not math.isfinite(value):
            return "expected a finite number"
    elif spec.kind is str:
        if not isinstance(value, str):
            return "expected a string"
        if spec.choices and value not in spec.choices:
            return f"expected one of {list(spec.choices)}"
        return ""
    if spec.low is not None and value < spec.low:
        return f"must be >= {spec.low}"
    if spec.high is not None and value > spec.high:
        return f"must be <= {spec.high}"
    return ""


def _check_list(spec: ParameterSpec, value: Any) -> str:
    """Why ``value`` is not a list of finite numbers of an allowed length, or ``""``."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        return "expected a list of numbers"
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        return "expected a list of numbers"
    if not all(math.isfinite(v) for v in value):
        return "expected finite numbers"
    if spec.lengths and len(value) not in spec.lengths:
        return f"expected {' or '.join(str(n) for n in spec.lengths)} numbers, got {len(value)}"
    return ""


def _check_bool(spec: ParameterSpec, value: Any) -> str:
    """Why ``value`` is not a bool, or ``""``."""
    return "" if isinstance(value, bool) else "expected true or false"


_KIND_CHECKS = {bool: _check_bool, list: _check_list}


def config_from_mapping(values: Mapping[str, Any]) -> NodeConfig:
    """Build a :class:`NodeConfig` from parameter values, naming the first bad one.

    Raises:
        ConfigError: unknown name, wrong type or value out of range.
    """
    unknown = sorted(set(values) - set(_SPECS))
    if unknown:
        raise ConfigError(f"unknown parameter(s) {unknown}; valid: {sorted(_SPECS)}")
    return NodeConfig(**dict(values))


def installed_share_dir(package: str = PACKAGE) -> Path | None:
    """``share/<package>`` of the first prefix in ``AMENT_PREFIX_PATH`` that installed it.

    The ament resource index marks an installed package with the file
    ``<prefix>/share/ament_index/resource_index/packages/<package>`` (what
    ``ament_index_python.get_package_share_directory`` looks up); read here directly so the
    stream layer needs no ROS library.
    """
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if not prefix:
            continue
        marker = Path(prefix) / "share" / "ament_index" / "resource_index" / "packages" / package
        if marker.is_file():
            return Path(prefix) / "share" / package
    return None


def default_model_path() -> Path:
    """The default model: ``share/bridgenet_ros/models/bridgenet_lite.onnx``.

    Resolved through the ament index when the package is installed in a ROS workspace, else the
    repository's ``models/`` folder (a source checkout).
    """
    share = installed_share_dir()
    if share is not None:
        return share / "models" / DEFAULT_MODEL_NAME
    return Path(__file__).resolve().parents[2] / "models" / DEFAULT_MODEL_NAME


def resolve_model_path(config: NodeConfig) -> Path:
    """The model file to load: ``config.model_path`` or :func:`default_model_path`.

    When ``model_path`` is empty and the default ``.onnx`` is absent but the ``.pt`` checkpoint
    beside it exists (a source checkout), the checkpoint is used.

    Raises:
        ConfigError: the file does not exist (the message says how to create it).
    """
    path = Path(config.model_path).expanduser() if config.model_path else default_model_path()
    if not config.model_path and not path.is_file() and path.with_suffix(".pt").is_file():
        # A source checkout ships the checkpoint; the ONNX file is built from it.
        return path.with_suffix(".pt")
    if not path.is_file():
        raise ConfigError(
            f"model file {path} does not exist. Create it with `bridgenet export --model "
            f"<checkpoint.pt, e.g. models/bridgenet_lite.pt> --out {path}`, or set the "
            "model_path parameter to an existing .onnx, .pt or .engine file"
        )
    return path
