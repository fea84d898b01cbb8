# SPDX-License-Identifier: Apache-2.0
"""glibc malloc tuning of the per-frame processes (bridgenet_ros.malloc)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from bridgenet_ros.malloc import tune_malloc, user_configured_malloc

# In a fresh interpreter: optionally tune, then report whether an 8 MiB block was mmapped
# (mallinfo2().hblkhd, glibc >= 2.33): glibc's default mmaps it, the tuned heap serves it.
_PROBE = """
import ctypes, sys
from bridgenet_ros.malloc import tune_malloc
tuned = tune_malloc() if sys.argv[1] == "tune" else None
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
block = libc.malloc(8 << 20)
print(tuned, libc.mallinfo2().hblkhd >= (8 << 20))
libc.free(block)
"""

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt tuning applies to Linux with glibc only",
)


def _probe(mode: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@glibc_only
def test_tuned_process_serves_megabyte_blocks_from_the_heap() -> None:
    assert _probe("plain") == "None True"  # glibc's default: a fresh mapping per block
    assert _probe("tune") == "True False"


def test_user_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not user_configured_malloc({})
    assert not user_configured_malloc({"GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=1"})
    assert user_configured_malloc({"MALLOC_TRIM_THRESHOLD_": "0"})
    assert user_configured_malloc({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=4096"})
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert tune_malloc() is False
