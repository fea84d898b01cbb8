# SPDX-License-Identifier: Apache-2.0
"""Shared state of the fake CUDA device: memory, streams and the per-thread context stack."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import numpy as np

memory: dict[int, bytearray] = {}
streams: set[int] = set()
_next = itertools.count(0x10000, 0x10000)
_local = threading.local()


def context_stack() -> list[object]:
    """The calling thread's stack of pushed contexts."""
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def require_context(what: str) -> None:
    """Fail like CUDA does when no context is current in this thread."""
    if not context_stack():
        raise RuntimeError(
            f"{what}: invalid device context - no currently active context? (push the primary "
            "context in this thread first)"
        )


def new_address() -> int:
    return next(_next)


def read(ptr: int, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    return np.frombuffer(bytes(memory[ptr][:nbytes]), dtype=dtype).reshape(shape).copy()


def write(ptr: int, array: np.ndarray) -> None:
    """Copy the array's bytes (float64 becomes float32, as the engines' tensors are)."""
    host = np.ascontiguousarray(array)
    data = (host.astype(np.float32) if host.dtype == np.float64 else host).tobytes()
    if len(data) > len(memory[ptr]):
        raise RuntimeError(f"write of {len(data)} bytes overflows allocation {ptr:#x}")
    memory[ptr][: len(data)] = data


def reset() -> None:
    memory.clear()
    streams.clear()
    context_stack().clear()
