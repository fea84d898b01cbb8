# SPDX-License-Identifier: Apache-2.0
"""Build the runtime pipeline a :class:`~bridgenet_ros.stream.params.NodeConfig` describes.

The one place that turns node parameters into a runtime pipeline, through
:func:`~bridgenet_ros.runtime.backends.graph_runner.build_runtime_pipeline`: a deployment graph
(``bridgenet export --pipeline``) gets a
:class:`~bridgenet_ros.runtime.graph_pipeline.GraphPipeline` (the whole per-frame path on the
backend), any other model the numpy :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline`
over a backend. The node and the offline bench both call :func:`build_pipeline`, so a bench
figure is measured on exactly what the node runs. Imports neither rclpy nor any message package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.backends.graph_runner import Pipeline, build_runtime_pipeline
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.graph_pipeline import graph_settings_of
from bridgenet_ros.stream.params import NodeConfig, resolve_model_path

__all__ = ["backend_options", "build_pipeline"]


def backend_options(config: NodeConfig, chosen: str | None = None) -> dict[str, Any]:
    """Backend keyword options for ``config``.

    TensorRT engine settings when TensorRT is used; ``intra_op_threads`` when onnxruntime is
    (``cpu_threads`` > 0; not applied to the torch backend, whose thread count is global).

    Args:
        config: the node parameters.
        chosen: the backend actually built (what ``auto`` chose); ``None`` uses
            ``config.backend``, where ``auto`` means "TensorRT if importable".

    Names follow :class:`~bridgenet_ros.runtime.backends.tensorrt_backend.TensorRTBackend`.
    """
    options: dict[str, Any] = {}
    name = chosen or config.backend
    wants_trt = name == "tensorrt" or (
        name == "auto" and importlib.util.find_spec("tensorrt") is not None
    )
    if wants_trt:
        options["fp16"] = config.precision == "fp16"
        if config.engine_cache_dir:
            options["cache_dir"] = str(Path(config.engine_cache_dir).expanduser())
        if config.force_engine_rebuild:
            options["force"] = True
    elif config.cpu_threads and name in ("onnxruntime", "auto"):
        options["intra_op_threads"] = config.cpu_threads
    return options


def build_pipeline(config: NodeConfig) -> tuple[Pipeline, Path, str]:
    """Load the model and build the runtime pipeline for ``config``.

    A deployment graph runs on ``backend`` ``auto`` (decided by the graph runner factory),
    ``onnxruntime`` or ``tensorrt``; its depth limits are baked in, so ``min_depth`` /
    ``max_depth`` must equal the graph's (and cannot be changed at run time).

    Returns:
        ``(pipeline, model_path, auto_reason)``: ``model_path`` is the file loaded (with
        ``auto``, possibly the ``.onnx``/``.engine`` sibling of the configured one);
        ``auto_reason`` says why ``backend: auto`` chose its backend (empty for an explicit
        backend or a deployment graph).

    Raises:
        ConfigError: the model file is missing, does not suit the backend, or is a deployment
            graph whose baked settings contradict the parameters.
        BridgenetError: the backend cannot load it (``BackendError``, ``CheckpointError``).
    """
    from bridgenet_ros.runtime.backends import factory

    path = resolve_model_path(config)
    name, reason = config.backend, ""
    if config.backend == "auto" and graph_settings_of(path) is None:
        choice = factory.choose_auto(path)  # decided once, here
        options = {**choice.options, **backend_options(config, choice.name)}
        name, path, reason = choice.name, choice.model_path, choice.reason
    else:
        options = backend_options(config)
    runtime = RuntimeConfig(
        model_height=config.model_height or None,
        model_width=config.model_width or None,
        output_resolution=config.output_resolution,  # type: ignore[arg-type]
        min_depth=config.min_depth,
        max_depth=config.max_depth,
        align_mode=config.align_depth,  # type: ignore[arg-type]
        flat_guard=config.flat_guard,
    )
    try:
        pipeline = build_runtime_pipeline(name, path, runtime, **options)
    except ConfigError as err:
        if graph_settings_of(path) is None:
            raise
        raise ConfigError(
            f"model_path {path} is a deployment graph that does not fit the parameters: {err}"
        ) from err
    return pipeline, path, reason
