# SPDX-License-Identifier: Apache-2.0
"""Device memory and streams for the TensorRT backend: pycuda or cuda-python.

pycuda: the device's *primary* context is retained once and pushed/popped around every use, in
the thread that calls it -- never ``pycuda.autoinit``, which makes a context current only in
the importing thread and breaks a multi-threaded ROS node. cuda-python
(``cuda.bindings.runtime``) uses the runtime API, which binds the primary context per thread by
``cudaSetDevice``; it is the choice where pycuda cannot be built (CUDA 13 / JetPack 7).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import numpy as np

from bridgenet_ros.errors import BackendError

__all__ = ["CudaMemory", "CudaPythonMemory", "PycudaMemory", "open_cuda"]

LOGGER = logging.getLogger(__name__)


class CudaMemory(Protocol):
    """What the TensorRT backend needs from a CUDA binding."""

    api: str

    def device_name(self) -> str:
        """The GPU's name (part of the engine cache key)."""
        ...

    def activate(self) -> None:
        """Make the device current in the calling thread (push the context)."""
        ...

    def deactivate(self) -> None:
        """Undo :meth:`activate` (pop the context)."""
        ...

    def alloc(self, nbytes: int) -> int:
        """Allocate device memory, return its address."""
        ...

    def stream_handle(self) -> int:
        """The CUDA stream handle for ``execute_async_v3``."""
        ...

    def htod(self, device_ptr: int, host: np.ndarray) -> None:
        """Asynchronous copy host -> device on the stream."""
        ...

    def dtoh(self, host: np.ndarray, device_ptr: int) -> None:
        """Asynchronous copy device -> host on the stream."""
        ...

    def synchronize(self) -> None:
        """Wait for the stream."""
        ...

    def close(self) -> None:
        """Free all allocations and release the context."""
        ...


class PycudaMemory:
    """pycuda with the retained primary context, pushed/popped by the caller's thread.

    Args:
        device_id: CUDA device ordinal.
    """

    api = "pycuda"

    def __init__(self, device_id: int = 0) -> None:
        import pycuda.driver as cuda

        self._cuda = cuda
        cuda.init()
        self._device = cuda.Device(device_id)
        self._context = self._device.retain_primary_context()
        self._allocs: list[Any] = []
        self.activate()
        try:
            self._stream = cuda.Stream()
        finally:
            self.deactivate()

    def device_name(self) -> str:
        """The GPU's name."""
        return str(self._device.name())

    def activate(self) -> None:
        """Push the primary context onto this thread's context stack."""
        self._context.push()

    def deactivate(self) -> None:
        """Pop the context pushed by :meth:`activate`."""
        self._cuda.Context.pop()

    def alloc(self, nbytes: int) -> int:
        """``mem_alloc`` (context must be active)."""
        allocation = self._cuda.mem_alloc(int(nbytes))
        self._allocs.append(allocation)
        return int(allocation)

    def stream_handle(self) -> int:
        """The pycuda stream's handle."""
        return int(self._stream.handle)

    def htod(self, device_ptr: int, host: np.ndarray) -> None:
        """``memcpy_htod_async`` on the stream."""
        self._cuda.memcpy_htod_async(device_ptr, host, self._stream)

    def dtoh(self, host: np.ndarray, device_ptr: int) -> None:
        """``memcpy_dtoh_async`` on the stream."""
        self._cuda.memcpy_dtoh_async(host, device_ptr, self._stream)

    def synchronize(self) -> None:
        """``Stream.synchronize``."""
        self._stream.synchronize()

    def close(self) -> None:
        """Free the allocations inside the pushed context, then detach the primary context."""
        if not self._allocs and self._context is None:
            return
        self.activate()
        try:
            for allocation in self._allocs:
                allocation.free()
            self._allocs.clear()
        finally:
            self.deactivate()
        self._context.detach()
        self._context = None


class CudaPythonMemory:
    """cuda-python's ``cuda.bindings.runtime`` (the device's primary context via the runtime).

    Args:
        device_id: CUDA device ordinal.
    """

    api = "cuda-python"

    def __init__(self, device_id: int = 0) -> None:
        from cuda.bindings import runtime as cudart

        self._rt = cudart
        self._device_id = device_id
        self._check(cudart.cudaSetDevice(device_id), "cudaSetDevice")
        self._stream = self._check(cudart.cudaStreamCreate(), "cudaStreamCreate")[0]
        self._allocs: list[Any] = []

    def _check(self, result: Any, what: str) -> tuple[Any, ...]:
        """Unpack a cuda-python ``(err, *values)`` tuple, raising on error."""
        err, *values = result if isinstance(result, tuple) else (result,)
        if err != self._rt.cudaError_t.cudaSuccess:
            raise BackendError(f"{what} failed: {err}")
        return tuple(values)

    def device_name(self) -> str:
        """The GPU's name."""
        prop = self._check(
            self._rt.cudaGetDeviceProperties(self._device_id), "cudaGetDeviceProperties"
        )[0]
        name = prop.name
        return name.decode(errors="replace").rstrip("\x00") if isinstance(name, bytes) else name

    def activate(self) -> None:
        """Bind the device to this thread (the runtime API uses its primary context)."""
        self._check(self._rt.cudaSetDevice(self._device_id), "cudaSetDevice")

    def deactivate(self) -> None:
        """Nothing to pop with the runtime API."""

    def alloc(self, nbytes: int) -> int:
        """``cudaMalloc``."""
        ptr = self._check(self._rt.cudaMalloc(int(nbytes)), "cudaMalloc")[0]
        self._allocs.append(ptr)
        return int(ptr)

    def stream_handle(self) -> int:
        """The stream handle."""
        return int(self._stream)

    def htod(self, device_ptr: int, host: np.ndarray) -> None:
        """``cudaMemcpyAsync`` host -> device."""
        kind = self._rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(
            self._rt.cudaMemcpyAsync(
                device_ptr, host.ctypes.data, host.nbytes, kind, self._stream
            ),
            "cudaMemcpyAsync",
        )

    def dtoh(self, host: np.ndarray, device_ptr: int) -> None:
        """``cudaMemcpyAsync`` device -> host."""
        kind = self._rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(
            self._rt.cudaMemcpyAsync(
                host.ctypes.data, device_ptr, host.nbytes, kind, self._stream
            ),
            "cudaMemcpyAsync",
        )

    def synchronize(self) -> None:
        """``cudaStreamSynchronize``."""
        self._check(self._rt.cudaStreamSynchronize(self._stream), "cudaStreamSynchronize")

    def close(self) -> None:
        """``cudaFree`` every allocation and destroy the stream."""
        for ptr in self._allocs:
            self._check(self._rt.cudaFree(ptr), "cudaFree")
        self._allocs.clear()
        if self._stream is not None:
            self._check(self._rt.cudaStreamDestroy(self._stream), "cudaStreamDestroy")
            self._stream = None


def open_cuda(api: str = "auto", device_id: int = 0) -> CudaMemory:
    """Open a CUDA binding.

    Args:
        api: ``pycuda``, ``cuda-python`` or ``auto`` (pycuda if importable, else cuda-python;
            the choice is logged).
        device_id: CUDA device ordinal.

    Raises:
        BackendError: if the requested binding (or, for ``auto``, both) is missing.
    """
    if api not in ("auto", "pycuda", "cuda-python"):
        raise BackendError(f"cuda_api must be auto, pycuda or cuda-python, got {api!r}")
    if api in ("auto", "pycuda"):
        try:
            import pycuda.driver  # noqa: F401
        except ImportError as err:
            if api == "pycuda":
                raise BackendError("cuda_api 'pycuda' needs pycuda: pip install pycuda") from err
        else:
            LOGGER.info("CUDA memory through pycuda (primary context, push/pop per call)")
            return PycudaMemory(device_id)
    try:
        from cuda.bindings import runtime  # noqa: F401
    except ImportError as err:
        raise BackendError(
            "the tensorrt backend needs pycuda (pip install pycuda) or cuda-python "
            "(pip install cuda-python, e.g. on CUDA 13 / JetPack 7)"
        ) from err
    LOGGER.info("CUDA memory through cuda-python (cuda.bindings.runtime)")
    return CudaPythonMemory(device_id)
