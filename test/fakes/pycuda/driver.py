# SPDX-License-Identifier: Apache-2.0
"""Fake ``pycuda.driver`` enforcing init, a pushed context per thread and valid pointers."""

from __future__ import annotations

from typing import Any

import _device  # type: ignore[import-not-found]
import numpy as np

_initialized = False
calls: list[str] = []


class LogicError(RuntimeError):
    """pycuda's error for API misuse."""


def init() -> None:
    global _initialized
    _initialized = True
    calls.append("init")


def _require_init() -> None:
    if not _initialized:
        raise LogicError("cuInit has not been called: call pycuda.driver.init() first")


class Context:
    def __init__(self) -> None:
        self.detached = False

    def push(self) -> None:
        if self.detached:
            raise LogicError("context was detached")
        _device.context_stack().append(self)
        calls.append("push")

    @staticmethod
    def pop() -> None:
        stack = _device.context_stack()
        if not stack:
            raise LogicError("cuCtxPopCurrent failed: context stack is empty")
        stack.pop()
        calls.append("pop")

    def detach(self) -> None:
        self.detached = True
        calls.append("detach")


class Device:
    def __init__(self, ordinal: int) -> None:
        _require_init()
        if ordinal != 0:
            raise LogicError(f"cuDeviceGet failed: invalid device ordinal {ordinal}")

    def name(self) -> str:
        return "Fake GPU 9000"

    def retain_primary_context(self) -> Context:
        calls.append("retain_primary_context")
        return Context()

    def make_context(self) -> Context:
        raise LogicError("bridgenet must retain the primary context, not create a new one")


class Stream:
    def __init__(self) -> None:
        _device.require_context("Stream()")
        self.handle = _device.new_address()
        _device.streams.add(self.handle)

    def synchronize(self) -> None:
        _device.require_context("Stream.synchronize")


class DeviceAllocation:
    def __init__(self, nbytes: int) -> None:
        self.ptr = _device.new_address()
        _device.memory[self.ptr] = bytearray(nbytes)

    def __int__(self) -> int:
        return self.ptr

    def free(self) -> None:
        _device.require_context("DeviceAllocation.free")
        _device.memory.pop(self.ptr)


def mem_alloc(nbytes: int) -> DeviceAllocation:
    _require_init()
    _device.require_context("mem_alloc")
    if not isinstance(nbytes, int) or nbytes <= 0:
        raise LogicError(f"mem_alloc needs a positive int, got {nbytes!r}")
    return DeviceAllocation(nbytes)


def _check_stream(stream: Any) -> None:
    if stream is not None and getattr(stream, "handle", None) not in _device.streams:
        raise LogicError("invalid stream")


def memcpy_htod_async(dest: Any, src: np.ndarray, stream: Any = None) -> None:
    _device.require_context("memcpy_htod_async")
    _check_stream(stream)
    if not src.flags.c_contiguous:
        raise LogicError("memcpy_htod_async needs a contiguous host array")
    _device.write(int(dest), src)


def memcpy_dtoh_async(dest: np.ndarray, src: Any, stream: Any = None) -> None:
    _device.require_context("memcpy_dtoh_async")
    _check_stream(stream)
    dest[...] = _device.read(int(src), dest.shape, dest.dtype)


def pagelocked_empty(shape: Any, dtype: Any) -> np.ndarray:
    return np.empty(shape, dtype=dtype)
