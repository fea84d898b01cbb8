# SPDX-License-Identifier: Apache-2.0
"""TensorRT backend with the named I/O tensor API (TensorRT 8.5 through 11).

``num_io_tensors`` / ``get_tensor_name`` / ``get_tensor_mode`` / ``set_input_shape`` /
``set_tensor_address`` / ``execute_async_v3`` exist since TensorRT 8.5, so one code path serves
JetPack 5 (8.5), JetPack 6 (8.6, 10.x) and TensorRT 11. Device buffers come from pycuda (primary
context pushed/popped around each call, in the calling thread) or cuda-python; see
:mod:`.cuda_memory`. Call :meth:`TensorRTBackend.infer` from one thread.

Given an ``.onnx`` the engine is looked up in (or built into) the cache; given an ``.engine``
its sidecar JSON must match this TensorRT version and GPU, else the engine is rebuilt from the
ONNX named in the sidecar (or a :class:`BackendError` when building is disabled).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.errors import BackendError
from bridgenet_ros.runtime.backends.base import ModelMeta, check_infer_inputs
from bridgenet_ros.runtime.backends.cuda_memory import CudaMemory, open_cuda
from bridgenet_ros.runtime.backends.engine_cache import EngineKey, read_sidecar
from bridgenet_ros.runtime.backends.tensorrt_build import ensure_engine, import_tensorrt

__all__ = ["DEFAULT_CACHE_DIR", "TensorRTBackend"]

LOGGER = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "bridgenet_ros" / "engines"


class TensorRTBackend:
    """Run a TensorRT engine built from a ``bridgenet export`` ONNX.

    Args:
        model_path: ``.onnx`` (engine cached/built on demand) or ``.engine`` (with sidecar).
        fp16: FP16 engine.
        cache_dir: engine cache folder (default ``~/.cache/bridgenet_ros/engines``).
        allow_build: build a missing or stale engine (False: raise instead).
        force: rebuild even when a valid cached engine exists.
        workspace_mb: builder workspace limit in MiB.
        input_hw: engine ``(H, W)``; needed for a dynamic ONNX.
        cuda_api: ``auto``, ``pycuda`` or ``cuda-python``.
        device_id: CUDA device ordinal.

    Raises:
        BackendError: if TensorRT or a CUDA binding is missing, or the engine is unusable.
    """

    OPTIONS = frozenset(
        {
            "fp16",
            "cache_dir",
            "allow_build",
            "force",
            "workspace_mb",
            "input_hw",
            "cuda_api",
            "device_id",
        }
    )

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
        trt = import_tensorrt()
        self._trt = trt
        self.name = "tensorrt"
        self._cuda: CudaMemory | None = open_cuda(cuda_api, device_id)
        cuda = self._cuda
        gpu = cuda.device_name()
        path = Path(model_path)
        cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        build = dict(
            cache_dir=cache,
            gpu_name=gpu,
            input_hw=input_hw,
            fp16=fp16,
            workspace_mb=workspace_mb,
            force=force,
            allow_build=allow_build,
        )
        if path.suffix == ".engine":
            if not path.is_file():
                raise BackendError(f"engine file {path} does not exist")
            key, _, onnx_path = read_sidecar(path)
            wanted = EngineKey(
                key.model_sha256, key.precision, key.height, key.width, str(trt.__version__), gpu
            )
            if key != wanted or force:
                problems = ", ".join(key.mismatches(wanted)) or "--force"
                if not allow_build:
                    raise BackendError(
                        f"engine {path} does not match this system ({problems}) and building "
                        f"is disabled: rebuild with `bridgenet build-engine --onnx {onnx_path}`"
                    )
                if not onnx_path.is_file():
                    raise BackendError(
                        f"engine {path} does not match this system ({problems}) and its ONNX "
                        f"{onnx_path} is gone: export it again and run `bridgenet build-engine`"
                    )
                LOGGER.warning(
                    "engine %s is stale (%s): rebuilding from %s", path, problems, onnx_path
                )
                build.update(input_hw=(key.height, key.width), fp16=key.precision == "fp16")
                path = ensure_engine(onnx_path, **build)  # type: ignore[arg-type]
        else:
            path = ensure_engine(path, **build)  # type: ignore[arg-type]
        key, props, _ = read_sidecar(path)
        self.meta = ModelMeta.from_metadata_props(props, str(path))
        self.engine_path = path
        self.stride = self.meta.stride
        self.has_mde = self.meta.has_mde
        self.input_hw: tuple[int, int] | None = (key.height, key.width)
        self._setup(path.read_bytes())

    def _setup(self, engine_bytes: bytes) -> None:
        trt = self._trt
        cuda = self._cuda
        assert cuda is not None
        self._logger = trt.Logger(trt.Logger.WARNING)
        cuda.activate()
        try:
            self._runtime = trt.Runtime(self._logger)
            self._engine = self._runtime.deserialize_cuda_engine(engine_bytes)
            if self._engine is None:
                raise BackendError(
                    f"TensorRT could not deserialize {self.engine_path} (built by another "
                    "TensorRT version or GPU?): rebuild it with `bridgenet build-engine --force`"
                )
            self._context = self._engine.create_execution_context()
            height, width = self.input_hw or (0, 0)
            self._inputs: dict[str, int] = {}
            self._outputs: dict[str, tuple[int, np.ndarray]] = {}
            names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
            for name in names:
                if self._engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                    channels = 3 if name == "rgb" else 1
                    shape = (1, channels, height, width)
                    if not self._context.set_input_shape(name, shape):
                        raise BackendError(f"TensorRT refused input shape {shape} for {name}")
            for name in names:
                dtype = np.dtype(trt.nptype(self._engine.get_tensor_dtype(name)))
                if dtype != np.float32:
                    raise BackendError(
                        f"engine tensor {name} is {dtype}; bridgenet engines have float32 I/O "
                        "(export with `bridgenet export`)"
                    )
                dims = tuple(int(d) for d in self._context.get_tensor_shape(name))
                ptr = cuda.alloc(int(np.prod(dims)) * 4)
                self._context.set_tensor_address(name, ptr)
                if self._engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                    self._inputs[name] = ptr
                else:
                    self._outputs[name] = (ptr, np.empty(dims, dtype=np.float32))
        finally:
            cuda.deactivate()
        missing = {"rgb", "depth_lr_up_norm", "depth_sr_norm"} - set(names)
        if missing:
            raise BackendError(f"engine {self.engine_path} lacks tensors {sorted(missing)}")
        LOGGER.info(
            "tensorrt backend: %s (%s, %dx%d, TensorRT %s, %s)",
            self.engine_path,
            self.meta.precision,
            height,
            width,
            trt.__version__,
            cuda.api,
        )

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the engine (see :meth:`Backend.infer`); call from one thread only."""
        check_infer_inputs(rgb, depth_lr_up_norm, self.stride, self.input_hw)
        cuda = self._cuda
        if cuda is None:
            raise BackendError("tensorrt backend is closed")
        feeds = {
            "rgb": np.ascontiguousarray(rgb),
            "depth_lr_up_norm": np.ascontiguousarray(depth_lr_up_norm),
        }
        cuda.activate()
        try:
            for name, ptr in self._inputs.items():
                cuda.htod(ptr, feeds[name])
            if not self._context.execute_async_v3(cuda.stream_handle()):
                raise BackendError("TensorRT execute_async_v3 failed (see the TensorRT log)")
            for ptr, host in self._outputs.values():
                cuda.dtoh(host, ptr)
            cuda.synchronize()
        finally:
            cuda.deactivate()
        sr = self._outputs["depth_sr_norm"][1].copy()
        mde = self._outputs["depth_mde_norm"][1].copy() if self.has_mde else None
        return sr, mde

    def close(self) -> None:
        """Free device buffers, the context and the engine."""
        if self._cuda is None:
            return
        self._context = None
        self._engine = None
        self._cuda.close()
        self._cuda = None

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            LOGGER.debug("tensorrt backend close failed in finalizer", exc_info=True)

    @property
    def trt(self) -> Any:
        """The imported tensorrt module."""
        return self._trt
