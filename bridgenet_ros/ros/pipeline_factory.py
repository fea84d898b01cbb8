# SPDX-License-Identifier: Apache-2.0
"""Build the runtime pipeline a :class:`~bridgenet_ros.ros.params.NodeConfig` describes.

The one place that turns node parameters into a backend + :class:`DepthSRPipeline`. The node
and the offline bench both call :func:`build_pipeline`, so a bench figure is measured on exactly
what the node runs. Imports neither rclpy nor any message package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bridgenet_ros.errors import BridgenetError
from bridgenet_ros.ros.params import NodeConfig, resolve_model_path
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

__all__ = ["backend_options", "build_pipeline"]


def backend_options(config: NodeConfig) -> dict[str, Any]:
    """Backend keyword options for ``config`` (TensorRT engine settings when TensorRT is used).

    Names follow :class:`~bridgenet_ros.runtime.backends.tensorrt_backend.TensorRTBackend`.
    """
    options: dict[str, Any] = {}
    wants_trt = config.backend == "tensorrt" or (
        config.backend == "auto" and importlib.util.find_spec("tensorrt") is not None
    )
    if wants_trt:
        options["fp16"] = config.precision == "fp16"
        if config.engine_cache_dir:
            options["cache_dir"] = str(Path(config.engine_cache_dir).expanduser())
        if config.force_engine_rebuild:
            options["force"] = True
    return options


def build_pipeline(config: NodeConfig) -> tuple[DepthSRPipeline, Path, str]:
    """Load the model and build the runtime pipeline for ``config``.

    Returns:
        ``(pipeline, model_path, auto_reason)``: ``auto_reason`` says why ``backend: auto``
        chose its backend (empty for an explicit backend).

    Raises:
        ConfigError: the model file is missing or does not suit the backend.
        BridgenetError: the backend cannot load it (``BackendError``, ``CheckpointError``).
    """
    from bridgenet_ros.runtime.backends.factory import choose_auto, create_backend

    path = resolve_model_path(config)
    reason = choose_auto(path).reason if config.backend == "auto" else ""
    backend = create_backend(config.backend, path, **backend_options(config))
    runtime = RuntimeConfig(
        model_height=config.model_height or None,
        model_width=config.model_width or None,
        output_resolution=config.output_resolution,  # type: ignore[arg-type]
        min_depth=config.min_depth,
        max_depth=config.max_depth,
    )
    try:
        pipeline = DepthSRPipeline(backend, runtime)
    except BridgenetError:
        backend.close()
        raise
    return pipeline, path, reason
