# SPDX-License-Identifier: Apache-2.0
"""Fake ``cuda.bindings.runtime``: calls return ``(cudaError_t, *values)`` like cuda-python."""

from __future__ import annotations

import ctypes
import enum
from typing import Any

import _device  # type: ignore[import-not-found]
import numpy as np


class cudaError_t(enum.IntEnum):
    cudaSuccess = 0
    cudaErrorInvalidValue = 1
    cudaErrorInvalidDevice = 101


class cudaMemcpyKind(enum.IntEnum):
    cudaMemcpyHostToDevice = 1
    cudaMemcpyDeviceToHost = 2


class _Props:
    name = b"Fake GPU 9000\x00\x00"


def cudaSetDevice(device: int) -> tuple[cudaError_t]:
    if device != 0:
        return (cudaError_t.cudaErrorInvalidDevice,)
    if not _device.context_stack():
        _device.context_stack().append("primary")  # the runtime binds the primary context
    return (cudaError_t.cudaSuccess,)


def cudaGetDeviceProperties(device: int) -> tuple[cudaError_t, Any]:
    return (cudaError_t.cudaSuccess, _Props())


def cudaStreamCreate() -> tuple[cudaError_t, int]:
    _device.require_context("cudaStreamCreate")
    handle = _device.new_address()
    _device.streams.add(handle)
    return (cudaError_t.cudaSuccess, handle)


def cudaStreamDestroy(stream: int) -> tuple[cudaError_t]:
    _device.streams.discard(stream)
    return (cudaError_t.cudaSuccess,)


def cudaMalloc(size: int) -> tuple[cudaError_t, int]:
    _device.require_context("cudaMalloc")
    ptr = _device.new_address()
    _device.memory[ptr] = bytearray(size)
    return (cudaError_t.cudaSuccess, ptr)


def cudaFree(ptr: int) -> tuple[cudaError_t]:
    if _device.memory.pop(ptr, None) is None:
        return (cudaError_t.cudaErrorInvalidValue,)
    return (cudaError_t.cudaSuccess,)


def cudaMemcpyAsync(
    dst: int, src: int, count: int, kind: cudaMemcpyKind, stream: int
) -> tuple[cudaError_t]:
    _device.require_context("cudaMemcpyAsync")
    if stream not in _device.streams or not isinstance(kind, cudaMemcpyKind):
        return (cudaError_t.cudaErrorInvalidValue,)
    if kind == cudaMemcpyKind.cudaMemcpyHostToDevice:
        host = np.ctypeslib.as_array((ctypes.c_float * (count // 4)).from_address(src))
        _device.write(dst, host)
    else:
        host = np.ctypeslib.as_array((ctypes.c_float * (count // 4)).from_address(dst))
        host[:] = _device.read(src, (count // 4,))
    return (cudaError_t.cudaSuccess,)


def cudaStreamSynchronize(stream: int) -> tuple[cudaError_t]:
    return (cudaError_t.cudaSuccess,)
