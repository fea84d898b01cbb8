# SPDX-License-Identifier: Apache-2.0
"""Runners of deployment graphs (``bridgenet export --pipeline``) and their factory.

``create_graph_pipeline(name, path, config, **options)`` is the one way to build a
:class:`~bridgenet_ros.runtime.graph_pipeline.GraphPipeline`:

* ``onnxruntime`` (``device`` ``cpu``/``cuda``/``tensorrt``, threads, optimization level): one
  session, any RGB and LR size per call;
* ``tensorrt``: an engine built from the graph and cached like the network engines
  (:mod:`.tensorrt_graph`), one engine per RGB size, any LR size up to it;
* ``auto``: ``tensorrt`` when TensorRT and a CUDA binding import, else onnxruntime on CUDA
  when offered, else onnxruntime on the CPU.

:func:`build_runtime_pipeline` dispatches on the file: a deployment graph gets a
:class:`GraphPipeline`, anything else the numpy :class:`DepthSRPipeline` over
:func:`~.factory.create_backend`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Union

import numpy as np

from bridgenet_ros.errors import BackendError, BridgenetError, ConfigError
from bridgenet_ros.runtime.backends.base import ModelMeta
from bridgenet_ros.runtime.backends.onnxruntime_backend import open_session
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.graph_pipeline import (
    GRAPH_INPUTS,
    GraphPipeline,
    GraphRunner,
    graph_settings_of,
    settings_from_props,
)
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

__all__ = [
    "GRAPH_BACKENDS",
    "OrtGraphRunner",
    "build_runtime_pipeline",
    "create_graph_pipeline",
    "create_graph_runner",
]

LOGGER = logging.getLogger(__name__)

GRAPH_BACKENDS = ("auto", "onnxruntime", "tensorrt")
_ORT_OPTIONS = frozenset(
    {
        "device",
        "graph_optimization_level",
        "intra_op_threads",
        "inter_op_threads",
        "allow_spinning",
    }
)


class OrtGraphRunner:
    """Run a deployment graph with ONNX Runtime (see :class:`GraphRunner`).

    Args:
        model_path: the ``.onnx`` deployment graph.
        **options: ``device``, ``graph_optimization_level``, ``intra_op_threads``,
            ``inter_op_threads``, ``allow_spinning`` as for the onnxruntime backend.

    Raises:
        BackendError: if onnxruntime/the provider is missing or the file is not a graph.
    """

    def __init__(self, model_path: str | Path, **options: Any) -> None:
        path = Path(model_path)
        device = str(options.get("device", "cpu"))
        self.session, self.providers = open_session(
            path,
            device,
            str(options.get("graph_optimization_level", "all")),
            options.get("intra_op_threads"),
            options.get("inter_op_threads"),
            bool(options.get("allow_spinning", False)),
        )
        props = self.session.get_modelmeta().custom_metadata_map
        self.settings = settings_from_props(props, str(path))
        self.meta = ModelMeta.from_metadata_props(props, str(path))
        self.name = "onnxruntime-graph" if device == "cpu" else f"onnxruntime-{device}-graph"
        self.stride = self.meta.stride
        self.has_mde = self.meta.has_mde
        self.input_hw: tuple[int, int] | None = None
        self._names = [o.name for o in self.session.get_outputs()]
        LOGGER.info("deployment graph %s on onnxruntime %s", path, self.providers)

    def run_graph(self, rgb: np.ndarray, depth_lr: np.ndarray) -> dict[str, np.ndarray]:
        """The graph outputs by name for one frame (inputs already checked)."""
        if self.session is None:
            raise BackendError(f"{self.name} runner is closed")
        feeds = {GRAPH_INPUTS[0]: rgb, GRAPH_INPUTS[1]: depth_lr}
        try:
            outs = self.session.run(self._names, feeds)
        except Exception as err:
            raise BackendError(f"{self.name}: the deployment graph failed: {err}") from err
        return dict(zip(self._names, outs))

    def close(self) -> None:
        """Release the session."""
        self.session = None


def _auto(options: dict[str, Any]) -> str:
    """Runner name ``auto`` picks, logging why."""
    import importlib.util

    from bridgenet_ros.runtime.backends.onnxruntime_backend import ort_available_providers

    has_cuda = any(
        importlib.util.find_spec(m) is not None for m in ("pycuda", "cuda")
    )  # pycuda or cuda-python
    if importlib.util.find_spec("tensorrt") is not None and has_cuda:
        LOGGER.info("deployment graph: auto -> tensorrt (tensorrt and a CUDA binding import)")
        return "tensorrt"
    cuda_ep = "CUDAExecutionProvider" in ort_available_providers()
    options.setdefault("device", "cuda" if cuda_ep else "cpu")
    LOGGER.info("deployment graph: auto -> onnxruntime (%s)", options["device"])
    return "onnxruntime"


def create_graph_runner(name: str, model_path: str | Path, **options: Any) -> GraphRunner:
    """Build a runner for the deployment graph ``model_path``.

    Args:
        name: ``auto``, ``onnxruntime`` or ``tensorrt``.
        model_path: ``.onnx`` deployment graph.
        **options: onnxruntime options, or TensorRT's (``fp16``, ``cache_dir``,
            ``allow_build``, ``force``, ``workspace_mb``, ``input_hw`` = the RGB size,
            ``cuda_api``, ``device_id``).

    Raises:
        ConfigError: on an unknown name or option.
        BackendError: if the runner cannot load the graph.
    """
    if name not in GRAPH_BACKENDS:
        raise ConfigError(
            f"backend {name!r} cannot run a deployment graph; use one of {GRAPH_BACKENDS} "
            "(torch runs checkpoints with the numpy pipeline)"
        )
    opts = dict(options)
    chosen = _auto(opts) if name == "auto" else name
    if chosen == "tensorrt":
        from bridgenet_ros.runtime.backends.tensorrt_graph import TensorRTGraphRunner

        return TensorRTGraphRunner(model_path, **opts)
    unknown = sorted(set(opts) - _ORT_OPTIONS)
    if unknown and name != "auto":
        raise ConfigError(
            f"onnxruntime deployment-graph runner does not take option(s) {unknown}; it takes "
            f"{sorted(_ORT_OPTIONS)}"
        )
    if unknown:
        LOGGER.info("deployment graph on onnxruntime: options %s do not apply", unknown)
    return OrtGraphRunner(model_path, **{k: v for k, v in opts.items() if k in _ORT_OPTIONS})


def create_graph_pipeline(
    name: str, model_path: str | Path, config: RuntimeConfig | None = None, **options: Any
) -> GraphPipeline:
    """A :class:`GraphPipeline` over :func:`create_graph_runner` (closes it on a bad config)."""
    runner = create_graph_runner(name, model_path, **options)
    try:
        return GraphPipeline(runner, config)
    except BridgenetError:
        runner.close()
        raise


Pipeline = Union[DepthSRPipeline, GraphPipeline]


def build_runtime_pipeline(
    name: str, model_path: str | Path, config: RuntimeConfig | None = None, **options: Any
) -> Pipeline:
    """The pipeline for ``model_path``: a graph pipeline for a deployment graph, else numpy.

    Args:
        name: backend name (``torch`` is refused for a deployment graph).
        model_path: checkpoint, ONNX (network or deployment graph) or engine.
        config: runtime settings.
        **options: backend options.

    Raises:
        ConfigError: bad name/options or settings that contradict the graph.
        BackendError: the backend cannot load the model.
    """
    if graph_settings_of(model_path) is not None:
        return create_graph_pipeline(name, model_path, config, **options)
    from bridgenet_ros.runtime.backends.factory import create_backend

    backend = create_backend(name, model_path, **options)
    try:
        return DepthSRPipeline(backend, config)
    except BridgenetError:
        backend.close()
        raise


__all__ += ["Pipeline"]
