# SPDX-License-Identifier: Apache-2.0
"""Install the fake ``tensorrt`` and ``pycuda`` for one test (via monkeypatch)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

FAKES = Path(__file__).resolve().parent


def install_fakes(
    monkeypatch: pytest.MonkeyPatch, version: str = "10.3.0", cuda_python: bool = False
) -> ModuleType:
    """Put the fakes first on ``sys.path`` with fresh state; return the fake ``tensorrt``.

    With ``cuda_python`` the fake ``cuda.bindings.runtime`` is importable, else ``cuda`` is
    blocked so that pycuda is used.
    """
    names = (
        "_device",
        "pycuda",
        "pycuda.driver",
        "pycuda.autoinit",
        "tensorrt",
        "cuda",
        "cuda.bindings",
        "cuda.bindings.runtime",
    )
    for name in names:
        # record the original entry (or its absence) so that undo restores it, then clear it
        monkeypatch.setitem(sys.modules, name, None)
        del sys.modules[name]
    if not cuda_python:
        monkeypatch.setitem(sys.modules, "cuda", None)  # no cuda-python: pycuda is used
    monkeypatch.syspath_prepend(str(FAKES))
    import _device  # type: ignore[import-not-found]
    import pycuda.driver  # type: ignore[import-not-found]  # noqa: F401
    import tensorrt  # type: ignore[import-not-found]

    _device.reset()
    tensorrt.configure(version)
    return tensorrt
