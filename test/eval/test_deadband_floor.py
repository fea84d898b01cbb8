# SPDX-License-Identifier: Apache-2.0
"""scripts/deadband_floor.py: the error a residual dead band leaves under a perfect network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.eval.baselines import PassThroughBackend
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline
from bridgenet_ros.runtime.resize import resize

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deadband_floor.py"
_spec = importlib.util.spec_from_file_location("deadband_floor", _SCRIPT)
assert _spec is not None and _spec.loader is not None
floor_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floor_script)


def test_floor_keeps_only_residuals_inside_the_band() -> None:
    depth_lr = np.linspace(1.0, 3.0, 16 * 12, dtype=np.float32).reshape(12, 16)  # span 2 m
    up = resize(depth_lr, (48, 64))
    residual = np.zeros_like(up)
    residual[::2] = 0.004  # inside the band: 0.003 x 2 m = 6 mm
    residual[1::4] = 0.050  # outside: a perfect network corrects it
    pipeline = DepthSRPipeline(PassThroughBackend(), RuntimeConfig())
    rgb = np.zeros((48, 64, 3), np.uint8)
    bicubic, floor = floor_script.frame_rmse(pipeline, rgb, up + residual, depth_lr, 0.003, crop=0)
    assert bicubic == pytest.approx(np.sqrt(np.mean(residual**2)), rel=1e-4)
    assert floor == pytest.approx(
        np.sqrt(np.mean(np.where(residual < 0.01, residual, 0) ** 2)), rel=1e-4
    )
    assert floor == pytest.approx(0.004 / np.sqrt(2), rel=1e-3)
    _, no_band = floor_script.frame_rmse(pipeline, rgb, up + residual, depth_lr, 0.0, crop=0)
    assert no_band == 0.0
