# SPDX-License-Identifier: Apache-2.0
"""ONNX Runtime backend: CPU, CUDA execution provider, TensorRT execution provider.

The model facts (stride, MDE head, fixed input size) come from the ONNX ``metadata_props``
written by ``bridgenet export``. ONNX Runtime silently falls back to the CPU when a requested
provider fails to load; we check the providers the session really uses and raise instead.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bridgenet_ros.errors import BackendError
from bridgenet_ros.runtime.backends.base import (
    INPUT_NAMES,
    ModelMeta,
    check_infer_inputs,
    is_pipeline_graph,
)

__all__ = ["DEVICE_PROVIDERS", "OnnxRuntimeBackend", "open_session", "ort_available_providers"]

LOGGER = logging.getLogger(__name__)

#: device -> execution providers in priority order (ORT assigns unsupported nodes down the list).
DEVICE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "cpu": ("CPUExecutionProvider",),
    "cuda": ("CUDAExecutionProvider", "CPUExecutionProvider"),
    "tensorrt": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
}
_OPT_LEVELS = ("disable", "basic", "extended", "all")


def ort_available_providers() -> list[str]:
    """Execution providers of the installed onnxruntime (empty when it is missing)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return []
    return list(ort.get_available_providers())


#: session config keys that let ONNX Runtime's pool threads busy-wait for work
SPINNING_KEYS = ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning")


def _session_options(
    ort: Any, level: str, intra: int | None, inter: int | None, allow_spinning: bool = False
) -> Any:
    """``ort.SessionOptions`` with the optimization level, thread counts and spinning."""
    options = ort.SessionOptions()
    options.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    if intra is not None:
        options.intra_op_num_threads = int(intra)
    if inter is not None:
        options.inter_op_num_threads = int(inter)
    for key in SPINNING_KEYS:
        options.add_session_config_entry(key, "1" if allow_spinning else "0")
    return options


def open_session(
    path: Path,
    device: str = "cpu",
    graph_optimization_level: str = "all",
    intra_op_threads: int | None = None,
    inter_op_threads: int | None = None,
    allow_spinning: bool = False,
) -> tuple[Any, list[str]]:
    """An onnxruntime session on ``device`` and the providers it really uses.

    ``allow_spinning`` (ONNX Runtime's own default: on) lets the thread pool busy-wait between
    and after runs; off by default here: on a shared CPU the spinning threads took the core
    the node's post-processing and publishing needed, and slowed inference itself
    (docs/performance.md, "ROS node end-to-end latency").

    Raises:
        BackendError: if onnxruntime or the requested provider is missing, or the file cannot
            be loaded (ONNX Runtime's silent CPU fallback is turned into this error).
    """
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise BackendError(
            "backend 'onnxruntime' needs ONNX Runtime: pip install onnxruntime (CPU) or "
            "onnxruntime-gpu (CUDA / TensorRT execution providers)"
        ) from err
    if device not in DEVICE_PROVIDERS:
        raise BackendError(
            f"onnxruntime backend: unknown device {device!r}; use one of "
            f"{sorted(DEVICE_PROVIDERS)}"
        )
    if graph_optimization_level not in _OPT_LEVELS:
        raise BackendError(
            f"onnxruntime backend: graph_optimization_level {graph_optimization_level!r} "
            f"is not one of {_OPT_LEVELS}"
        )
    providers = list(DEVICE_PROVIDERS[device])
    available = ort.get_available_providers()
    if providers[0] not in available:
        raise BackendError(
            f"onnxruntime backend: device {device!r} needs {providers[0]}, but this "
            f"onnxruntime offers {available}; install onnxruntime-gpu matching your CUDA "
            "(and TensorRT for 'tensorrt') or use device='cpu'"
        )
    providers = [p for p in providers if p in available]
    if not path.is_file():
        raise BackendError(f"onnxruntime backend: model file {path} does not exist")
    options = _session_options(
        ort, graph_optimization_level, intra_op_threads, inter_op_threads, allow_spinning
    )
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception as err:
        raise BackendError(f"onnxruntime backend: cannot load {path}: {err}") from err
    used = session.get_providers()
    if not used or used[0] != providers[0]:
        raise BackendError(
            f"onnxruntime backend: asked for {providers[0]} but the session runs on {used} "
            "(the provider failed to initialise; check the CUDA/cuDNN/TensorRT libraries)"
        )
    return session, used


class OnnxRuntimeBackend:
    """Run an exported ``.onnx`` model with ONNX Runtime.

    Args:
        model_path: ONNX file written by ``bridgenet export``.
        device: ``cpu``, ``cuda`` (CUDA EP) or ``tensorrt`` (TensorRT EP).
        graph_optimization_level: ``disable``, ``basic``, ``extended`` or ``all``.
        intra_op_threads: threads per operator; ``None`` lets ONNX Runtime choose.
        inter_op_threads: threads across operators; ``None`` lets ONNX Runtime choose.
        allow_spinning: let idle pool threads busy-wait (ONNX Runtime's default; see
            :func:`open_session`). Off by default.

    Raises:
        BackendError: if onnxruntime or the requested provider is missing, the file cannot be
            loaded, or it lacks the bridgenet metadata.
    """

    OPTIONS = frozenset(
        {
            "device",
            "graph_optimization_level",
            "intra_op_threads",
            "inter_op_threads",
            "allow_spinning",
        }
    )

    def __init__(
        self,
        model_path: str | Path,
        *,
        device: str = "cpu",
        graph_optimization_level: str = "all",
        intra_op_threads: int | None = None,
        inter_op_threads: int | None = None,
        allow_spinning: bool = False,
    ) -> None:
        path = Path(model_path)
        self.session, used = open_session(
            path,
            device,
            graph_optimization_level,
            intra_op_threads,
            inter_op_threads,
            allow_spinning,
        )
        props = self.session.get_modelmeta().custom_metadata_map
        if is_pipeline_graph(props):
            raise BackendError(
                f"{path} is a deployment graph (`bridgenet export --pipeline`): it takes the "
                "camera images, not network inputs; run it with runtime.graph_pipeline "
                "(backends.graph_runner.create_graph_pipeline) or export the plain network"
            )
        meta = ModelMeta.from_metadata_props(props, str(path))
        self.meta = meta
        self.name = "onnxruntime" if device == "cpu" else f"onnxruntime-{device}"
        self.device = device
        self.stride = meta.stride
        self.has_mde = meta.has_mde
        self.input_hw: tuple[int, int] | None = meta.input_hw
        self.providers = used
        self._output_names = [o.name for o in self.session.get_outputs()]
        LOGGER.info(
            "onnxruntime backend: %s, providers %s, optimization %s, intra-op threads %s, "
            "spinning %s",
            path,
            used,
            graph_optimization_level,
            intra_op_threads if intra_op_threads is not None else "default",
            "on" if allow_spinning else "off",
        )

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the network (see :meth:`Backend.infer`)."""
        check_infer_inputs(rgb, depth_lr_up_norm, self.stride, self.input_hw)
        feeds: dict[str, Any] = {INPUT_NAMES[0]: rgb, INPUT_NAMES[1]: depth_lr_up_norm}
        try:
            outputs: Sequence[np.ndarray] = self.session.run(self._output_names, feeds)
        except Exception as err:
            raise BackendError(f"onnxruntime backend: inference failed: {err}") from err
        mde = outputs[1] if self.has_mde and len(outputs) > 1 else None
        return outputs[0], mde

    def close(self) -> None:
        """Release the session."""
        self.session = None
