# SPDX-License-Identifier: Apache-2.0
"""TensorRT runner of a deployment graph (``bridgenet export --pipeline``).

The engine is built from the graph ONNX and cached exactly like the network engines
(:func:`~.tensorrt_build.ensure_engine`, key = ONNX hash, precision, RGB size, TensorRT version,
GPU). Its optimization profile fixes the RGB size ``(H, W, 3)`` and lets the LR depth take any
size from ``1x1`` to ``HxW`` (:func:`~.tensorrt_build.graph_profile`), so one engine serves every
LR resolution of a camera. Without ``input_hw`` the engine is built (or loaded from the cache)
for the first frame's RGB size. Named I/O tensor API, TensorRT 8.6+ (``uint8`` network inputs);
call :meth:`TensorRTGraphRunner.run_graph` from one thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.errors import BackendError
from bridgenet_ros.runtime.backends.base import ModelMeta
from bridgenet_ros.runtime.backends.cuda_memory import CudaMemory, open_cuda
from bridgenet_ros.runtime.backends.engine_cache import read_sidecar
from bridgenet_ros.runtime.backends.tensorrt_build import ensure_engine, import_tensorrt
from bridgenet_ros.runtime.graph_pipeline import GRAPH_INPUTS, settings_from_props

__all__ = ["TensorRTGraphRunner"]

LOGGER = logging.getLogger(__name__)


class TensorRTGraphRunner:
    """Run a deployment graph as a TensorRT engine (see :class:`GraphRunner`).

    Args:
        model_path: the ``.onnx`` deployment graph.
        fp16: FP16 builder flag (TensorRT < 11; TensorRT 11 takes the ONNX's precision: export
            with ``--pipeline --fp16``).
        cache_dir: engine cache folder (default ``~/.cache/bridgenet_ros/engines``).
        allow_build: build a missing or stale engine (False: raise instead).
        force: rebuild even when a valid cached engine exists.
        workspace_mb: builder workspace limit in MiB.
        input_hw: the RGB ``(H, W)``; ``None`` builds/loads at the first frame.
        cuda_api: ``auto``, ``pycuda`` or ``cuda-python``.
        device_id: CUDA device ordinal.

    Raises:
        BackendError: if TensorRT or a CUDA binding is missing, or the engine is unusable.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        fp16: bool = False,
        cache_dir: str | Path | None = None,
        allow_build: bool = True,
        force: bool = False,
        workspace_mb: int = 1024,
        input_hw: tuple[int, int] | None = None,
        cuda_api: str = "auto",
        device_id: int = 0,
    ) -> None:
        from bridgenet_ros.runtime.backends.tensorrt_backend import DEFAULT_CACHE_DIR
        from bridgenet_ros.runtime.backends.tensorrt_build import onnx_metadata

        self._trt = import_tensorrt()
        self.onnx_path = Path(model_path)
        if self.onnx_path.suffix != ".onnx" or not self.onnx_path.is_file():
            raise BackendError(f"tensorrt graph runner: {self.onnx_path} is not an .onnx file")
        props = onnx_metadata(self.onnx_path)
        self.settings = settings_from_props(props, str(self.onnx_path))
        self.meta = ModelMeta.from_metadata_props(props, str(self.onnx_path))
        self.name = "tensorrt-graph"
        self.stride = self.meta.stride
        self.has_mde = self.meta.has_mde
        self.input_hw: tuple[int, int] | None = None
        self._cuda: CudaMemory | None = open_cuda(cuda_api, device_id)
        self._build: dict[str, Any] = dict(
            cache_dir=Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR,
            gpu_name=self._cuda.device_name(),
            fp16=fp16,
            workspace_mb=workspace_mb,
            force=force,
            allow_build=allow_build,
        )
        self._context: Any = None
        if input_hw is not None:
            self._load((int(input_hw[0]), int(input_hw[1])))

    def _load(self, rgb_hw: tuple[int, int]) -> None:
        """Build or load the engine for ``rgb_hw`` and allocate its buffers."""
        if self.input_hw is not None:
            LOGGER.warning(
                "tensorrt graph runner: RGB size changed %s -> %s, loading another engine",
                self.input_hw,
                rgb_hw,
            )
            self._release()
        path = ensure_engine(self.onnx_path, input_hw=rgb_hw, **self._build)
        read_sidecar(path)  # validates the sidecar written with the engine
        self.engine_path = path
        self.input_hw = rgb_hw
        self._setup(path.read_bytes(), rgb_hw)

    def _setup(self, engine_bytes: bytes, rgb_hw: tuple[int, int]) -> None:
        trt, cuda = self._trt, self._cuda
        assert cuda is not None
        self._logger = trt.Logger(trt.Logger.WARNING)
        cuda.activate()
        try:
            self._runtime = trt.Runtime(self._logger)
            self._engine = self._runtime.deserialize_cuda_engine(engine_bytes)
            if self._engine is None:
                raise BackendError(
                    f"TensorRT could not deserialize {self.engine_path}: rebuild it (force=True)"
                )
            self._context = self._engine.create_execution_context()
            self._allocate(rgb_hw)
        finally:
            cuda.deactivate()

    def _allocate(self, rgb_hw: tuple[int, int]) -> None:
        """Device buffers at the profile's largest shapes; output host arrays."""
        trt, cuda, engine = self._trt, self._cuda, self._engine
        assert cuda is not None
        height, width = rgb_hw
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        missing = {*GRAPH_INPUTS, "depth", "depth_range", "lr_dropped"} - set(names)
        if missing:
            raise BackendError(f"engine {self.engine_path} lacks tensors {sorted(missing)}")
        self._set_shapes((height, width, 3), (height, width))
        self._ptrs: dict[str, int] = {}
        self._host: dict[str, np.ndarray] = {}
        self._lr_hw = (height, width)
        for name in names:
            dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
            dims = tuple(int(d) for d in self._context.get_tensor_shape(name))
            self._ptrs[name] = cuda.alloc(int(np.prod(dims)) * dtype.itemsize)
            self._context.set_tensor_address(name, self._ptrs[name])
            if engine.get_tensor_mode(name) == trt.TensorIOMode.OUTPUT:
                self._host[name] = np.empty(dims, dtype=dtype)

    def _set_shapes(self, rgb_shape: tuple[int, ...], lr_shape: tuple[int, ...]) -> None:
        for name, shape in zip(GRAPH_INPUTS, (rgb_shape, lr_shape)):
            if not self._context.set_input_shape(name, shape):
                raise BackendError(
                    f"TensorRT refused {name} shape {shape} for {self.engine_path} (LR depth must "
                    f"not be larger than the RGB image {self.input_hw})"
                )

    def run_graph(self, rgb: np.ndarray, depth_lr: np.ndarray) -> dict[str, np.ndarray]:
        """The graph outputs by name for one frame (inputs already checked)."""
        cuda = self._cuda
        if cuda is None:
            raise BackendError("tensorrt graph runner is closed")
        rgb_hw = (int(rgb.shape[0]), int(rgb.shape[1]))
        if self.input_hw != rgb_hw:
            self._load(rgb_hw)
        cuda.activate()
        try:
            if depth_lr.shape != self._lr_hw:
                self._set_shapes(rgb.shape, depth_lr.shape)
                self._lr_hw = (int(depth_lr.shape[0]), int(depth_lr.shape[1]))
            cuda.htod(self._ptrs["rgb"], np.ascontiguousarray(rgb, dtype=np.uint8))
            cuda.htod(self._ptrs["depth_lr"], np.ascontiguousarray(depth_lr, dtype=np.float32))
            if not self._context.execute_async_v3(cuda.stream_handle()):
                raise BackendError("TensorRT execute_async_v3 failed (see the TensorRT log)")
            for name, host in self._host.items():
                cuda.dtoh(host, self._ptrs[name])
            cuda.synchronize()
        finally:
            cuda.deactivate()
        return {name: host.copy() for name, host in self._host.items()}

    def _release(self) -> None:
        self._context = None
        self._engine = None

    def close(self) -> None:
        """Free device buffers, the context and the engine."""
        if self._cuda is None:
            return
        self._release()
        self._cuda.close()
        self._cuda = None
