# SPDX-License-Identifier: Apache-2.0
"""Run a deployment graph (``bridgenet export --pipeline``): the whole frame on the device.

A deployment graph takes the decoded camera data -- ``rgb`` ``(H, W, 3)`` uint8 and ``depth_lr``
``(h, w)`` float32 metres -- and returns metric depth on the RGB grid with NaN where invalid; the
mask, normalization, hole filling, bicubic up-sampling, padding, network, de-normalization,
range limits and validity all run inside it (see :mod:`bridgenet_ros.export.pipeline_graph`).
:class:`GraphPipeline` has :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline`'s interface
(``run(rgb, depth_lr) -> PipelineResult``, ``output_grid``, ``scale_camera_info``, ``config``,
``backend``) so the node, bench and eval use either. The numpy pipeline stays the reference.

The settings baked into the graph (:class:`GraphSettings`) are stored in its metadata; a
:class:`RuntimeConfig` that asks for other values is refused (re-export with other flags).
This module imports numpy only.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol

import numpy as np

from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.errors import BackendError, ConfigError
from bridgenet_ros.runtime.align import align_for_config
from bridgenet_ros.runtime.backends.base import GRAPH_KEY, SETTINGS_KEY, is_pipeline_graph
from bridgenet_ros.runtime.camera import CameraIntrinsics, scale_camera_info
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.normalize import DepthRange
from bridgenet_ros.runtime.pipeline import PipelineResult, check_inputs

__all__ = [
    "GRAPH_INPUTS",
    "GRAPH_KEY",
    "GRAPH_OUTPUTS",
    "SETTINGS_KEY",
    "GraphPipeline",
    "GraphRunner",
    "GraphSettings",
    "is_pipeline_graph",
]

#: input names of the deployment graph.
GRAPH_INPUTS = ("rgb", "depth_lr")
#: output names, in order; ``depth_mde`` only for models with an MDE head.
GRAPH_OUTPUTS = ("depth", "depth_mde", "depth_lr_up", "depth_range", "lr_dropped")
_SETTING_NAMES = (
    "min_depth",
    "max_depth",
    "fill_sigma_px",
    "fill_max_iterations",
    "support_radius_px",
    "flat_guard",
    "flat_guard_residual",
)


@dataclass(frozen=True)
class GraphSettings:
    """The runtime settings baked into a deployment graph (a :class:`RuntimeConfig` subset).

    Attributes:
        min_depth: smallest accepted LR and output depth (metres), ``None`` for no limit.
        max_depth: largest accepted depth, ``None`` for no limit.
        fill_sigma_px: first Gaussian sigma of the hole filling (LR pixels).
        fill_max_iterations: how many times the sigma doubles.
        support_radius_px: output validity radius in LR pixels, ``None`` to disable.
        flat_guard: keep the up-sampled input where the LR depth is locally a plane
            (:mod:`bridgenet_ros.runtime.flat_guard`).
        flat_guard_residual: its ``(lo, hi)`` relative plane residuals.
    """

    min_depth: float | None = None
    max_depth: float | None = None
    fill_sigma_px: float = 1.5
    fill_max_iterations: int = 6
    support_radius_px: int | None = 2
    flat_guard: bool = False
    flat_guard_residual: tuple[float, float] = (0.01, 0.03)

    def __post_init__(self) -> None:
        # RuntimeConfig validates the same fields with the same rules (and makes tuples)
        config = self.runtime_config()
        object.__setattr__(self, "flat_guard_residual", config.flat_guard_residual)

    def runtime_config(self) -> RuntimeConfig:
        """The :class:`RuntimeConfig` whose numpy pipeline this graph reproduces."""
        return RuntimeConfig(**asdict(self))

    @classmethod
    def from_runtime(cls, config: RuntimeConfig) -> GraphSettings:
        """The baked subset of ``config``; refuses a model grid other than the RGB grid.

        Raises:
            ConfigError: if ``config`` sets ``model_height``/``model_width`` or
                ``output_resolution: model`` (the graph works on the RGB grid).
        """
        if config.model_hw is not None or config.output_resolution != "rgb":
            raise ConfigError(
                "a deployment graph runs the network on the RGB grid and returns depth on it: "
                "unset model_height/model_width and use output_resolution 'rgb' (or use the "
                "numpy pipeline with a plain `bridgenet export`)"
            )
        return cls(**{name: getattr(config, name) for name in _SETTING_NAMES})

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> GraphSettings:
        """Build from a mapping (e.g. the graph metadata JSON), rejecting unknown keys."""
        return from_mapping(cls, mapping, where="pipeline_settings")

    def to_json(self) -> str:
        """The metadata value stored under :data:`SETTINGS_KEY`."""
        return json.dumps(asdict(self), sort_keys=True)


def settings_from_props(props: Mapping[str, str], source: str) -> GraphSettings:
    """:class:`GraphSettings` stored in a deployment graph's metadata.

    Raises:
        BackendError: if the file is not a deployment graph or the settings are malformed.
    """
    if not is_pipeline_graph(props) or SETTINGS_KEY not in props:
        raise BackendError(
            f"{source} is not a deployment graph (no {GRAPH_KEY}=pipeline metadata): export "
            "it with `bridgenet export --pipeline`"
        )
    try:
        return GraphSettings.from_mapping(json.loads(props[SETTINGS_KEY]))
    except (ValueError, ConfigError) as err:
        raise BackendError(f"{source}: malformed {SETTINGS_KEY}: {err}") from err


class GraphRunner(Protocol):
    """Runs a deployment graph (:mod:`bridgenet_ros.runtime.backends.graph_runner`)."""

    name: str
    stride: int
    input_hw: tuple[int, int] | None
    has_mde: bool
    settings: GraphSettings

    def run_graph(self, rgb: np.ndarray, depth_lr: np.ndarray) -> dict[str, np.ndarray]:
        """The graph outputs by name (:data:`GRAPH_OUTPUTS`) for one frame."""
        ...

    def close(self) -> None:
        """Release the session or engine."""
        ...


def _check_outputs(outs: Mapping[str, np.ndarray], hw: tuple[int, int], runner: Any) -> None:
    """Raise :class:`BackendError` when a runner returned missing or mis-shaped outputs."""
    names = [n for n in GRAPH_OUTPUTS if n != "depth_mde" or runner.has_mde]
    missing = [n for n in names if n not in outs]
    if missing:
        raise BackendError(f"{runner.name} deployment graph returned no {missing}")
    for name in names[: 3 if runner.has_mde else 2]:
        if outs[name].shape != hw:
            raise BackendError(
                f"{runner.name} deployment graph returned {name} {outs[name].shape}, expected {hw}"
            )


class GraphPipeline:
    """:class:`DepthSRPipeline`'s interface over a deployment graph.

    Args:
        runner: the graph runner (onnxruntime or TensorRT).
        config: the runtime settings the caller wants; ``None`` takes the graph's own.

    Raises:
        ConfigError: if ``config`` differs from the settings baked into the graph.
    """

    def __init__(self, runner: GraphRunner, config: RuntimeConfig | None = None) -> None:
        self.backend = runner
        self._config = runner.settings.runtime_config()
        if config is not None:
            self.config = config

    @property
    def config(self) -> RuntimeConfig:
        """The runtime settings (those baked into the graph plus host-side checks)."""
        return self._config

    @config.setter
    def config(self, config: RuntimeConfig) -> None:
        """Accept ``config`` only if its baked fields equal the graph's (e.g. node reconfigure).

        Raises:
            ConfigError: if ``config`` differs from the settings baked into the graph.
        """
        wanted = GraphSettings.from_runtime(config)
        if wanted != self.backend.settings:
            raise ConfigError(
                f"runtime settings {asdict(wanted)} differ from those baked into the "
                f"{self.backend.name} deployment graph {asdict(self.backend.settings)}: "
                "re-export it with `bridgenet export --pipeline` and matching "
                "--min-depth/--max-depth (or drop the graph and use the numpy pipeline)"
            )
        self._config = config

    def model_grid(self, rgb_hw: tuple[int, int]) -> tuple[int, int]:
        """The network grid before padding: the RGB grid."""
        return (int(rgb_hw[0]), int(rgb_hw[1]))

    def output_grid(self, rgb_hw: tuple[int, int]) -> tuple[int, int]:
        """The output grid: the RGB grid."""
        return (int(rgb_hw[0]), int(rgb_hw[1]))

    def scale_camera_info(self, info: CameraIntrinsics) -> CameraIntrinsics:
        """Intrinsics of the output: those of the RGB image (same grid)."""
        return scale_camera_info(info, info.width, info.height)

    def run(self, rgb: np.ndarray, depth_lr: np.ndarray) -> PipelineResult:
        """Super-resolve one frame (see :meth:`DepthSRPipeline.run`; same result fields).

        ``timings_ms['inference']`` is the whole graph; pre/post-processing are the host-side
        input checks and result packing.

        Raises:
            ShapeError: on wrong shapes/dtypes or an RGB/depth aspect mismatch.
            BackendError: if the runner fails or returns wrong shapes.
        """
        t0 = time.perf_counter()
        check_inputs(rgb, depth_lr, self.config.aspect_tolerance)
        depth_lr, align_offset = align_for_config(rgb, depth_lr, self.config)
        rgb_in = np.ascontiguousarray(rgb)
        depth_in = np.ascontiguousarray(depth_lr, dtype=np.float32)
        t1 = time.perf_counter()
        outs = self.backend.run_graph(rgb_in, depth_in)
        t2 = time.perf_counter()
        hw = (int(rgb.shape[0]), int(rgb.shape[1]))
        _check_outputs(outs, hw, self.backend)
        dropped = [int(round(float(v))) for v in outs["lr_dropped"]]
        depth = np.asarray(outs["depth"], dtype=np.float32)
        rng = None
        if dropped[0] + dropped[1] + dropped[2] < depth_in.size:
            lo, hi = (float(v) for v in outs["depth_range"])
            rng = DepthRange(lo=lo, hi=hi)
        mde = outs.get("depth_mde") if self.backend.has_mde else None
        result = PipelineResult(
            depth_sr=depth,
            depth_mde=None if mde is None else np.asarray(mde, dtype=np.float32),
            depth_lr_up=np.asarray(outs["depth_lr_up"], dtype=np.float32),
            mask_valid=np.isfinite(depth),
            timings_ms={},
            depth_range=rng,
            model_hw=hw,
            lr_dropped={"invalid": dropped[0], "out_of_range": dropped[1], "outlier": dropped[2]},
            align_offset_px=align_offset,
        )
        t3 = time.perf_counter()
        result.timings_ms = {
            "preprocess": (t1 - t0) * 1e3,
            "inference": (t2 - t1) * 1e3,
            "postprocess": (t3 - t2) * 1e3,
        }
        return result

    def close(self) -> None:
        """Release the runner."""
        self.backend.close()


def graph_settings_of(path: str | Path) -> GraphSettings | None:
    """The baked settings of an ``.onnx`` deployment graph, ``None`` for any other file."""
    path = Path(path)
    if path.suffix != ".onnx" or not path.is_file():
        return None
    from bridgenet_ros.runtime.backends.tensorrt_build import onnx_metadata

    props = onnx_metadata(path)
    return settings_from_props(props, str(path)) if is_pipeline_graph(props) else None


__all__ += ["graph_settings_of", "settings_from_props"]
