# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the runtime tests: the test checkpoint's ONNX export, a numpy test backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


class EchoBackend:
    """A numpy backend that returns its depth input as SR and ``1 - depth`` as MDE.

    It asserts that the pipeline never feeds it non-finite values and records the calls.
    """

    def __init__(
        self, stride: int = 8, input_hw: tuple[int, int] | None = None, has_mde: bool = True
    ) -> None:
        self.name = "echo"
        self.stride = stride
        self.input_hw = input_hw
        self.has_mde = has_mde
        self.calls: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        assert np.isfinite(rgb).all() and np.isfinite(depth_lr_up_norm).all()
        assert rgb.dtype == np.float32 and depth_lr_up_norm.dtype == np.float32
        assert rgb.min() >= 0.0 and rgb.max() <= 1.0
        self.calls.append((rgb.shape, depth_lr_up_norm.shape))
        mde = (1.0 - depth_lr_up_norm) if self.has_mde else None
        return depth_lr_up_norm.copy(), mde

    def close(self) -> None:
        pass


@pytest.fixture()
def echo_backend() -> EchoBackend:
    return EchoBackend()


@pytest.fixture(scope="session")
def test_onnx(test_checkpoint: Path) -> Path:
    """Dynamic-size fp32 ONNX export of :func:`test_checkpoint`, beside it (same stem)."""
    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.model import load_model

    out = test_checkpoint.with_suffix(".onnx")
    export_onnx(load_model(test_checkpoint), out, input_hw=None)
    return out
