# SPDX-License-Identifier: Apache-2.0
"""glibc ``malloc`` settings for the per-frame processes (the node, ``bridgenet bench``).

Every frame allocates and frees a handful of megabyte-sized arrays (the network's inputs and
outputs, the masks, the output image and its message). With glibc's defaults the node kept
handing that memory back to the kernel and faulting fresh pages in on the next frame, on its
inference thread: setting the mmap threshold to 32 MiB and the trim threshold to 128 MiB (what
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` would set) cut the node's
pre-processing, post-processing, encoding and publishing from 3.5 + 1.8 + 0.5 + 2-4.5 ms to
2.8 + 0.8 + 0.1 + 1.1 ms per 640x480 frame (docs/performance.md, "ROS node end-to-end
latency"). The cost: freed memory stays with the process (its peak), which these processes
keep using anyway.

A user's own malloc settings win: nothing is changed when any ``MALLOC_*_`` variable or a
``glibc.malloc`` tunable is set. Not glibc (macOS, musl): nothing is changed. Importing this
module imports nothing.
"""

from __future__ import annotations

import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune_malloc"]

#: allocations below this come from the heap and are reused (glibc caps it at 32 MiB on 64-bit)
MMAP_THRESHOLD = 32 * 1024 * 1024
#: free memory at the top of the heap kept before it is returned to the kernel
TRIM_THRESHOLD = 128 * 1024 * 1024

# mallopt parameter numbers (glibc malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_USER_VARIABLES = (
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_MMAP_MAX_",
)


def user_configured_malloc(environ: dict[str, str] | None = None) -> bool:
    """Whether the environment sets glibc malloc options of its own."""
    env = os.environ if environ is None else environ
    return any(name in env for name in _USER_VARIABLES) or "glibc.malloc." in env.get(
        "GLIBC_TUNABLES", ""
    )


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module docstring) unless the user set any.

    Returns:
        True if both settings were applied; False when skipped (user settings, not Linux with
        glibc) or refused by ``mallopt``.
    """
    if not sys.platform.startswith("linux") or user_configured_malloc():
        return False
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    trim_ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return mmap_ok and trim_ok
