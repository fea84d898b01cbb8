# SPDX-License-Identifier: Apache-2.0
"""The flat guard (bridgenet_ros.runtime.flat_guard) and its use by the pipeline.

Robot-side (numpy only, in `make test-compat`).
"""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.flat_guard import (
    apply_flat_guard,
    guard_weight_lr,
    plane_residual_rel,
)
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

from .conftest import EchoBackend


class OffsetBackend(EchoBackend):
    """SR = input + 0.05 (normalized): a network that moves every pixel."""

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        sr, mde = super().infer(rgb, depth_lr_up_norm)
        return sr + np.float32(0.05), mde


def two_planes(h: int = 16, w: int = 24) -> np.ndarray:
    """``(h, w)`` metres: a tilted plane and, from column ``w // 2``, another 1.5 m behind."""
    yy, xx = np.mgrid[0:h, 0:w]
    return (2.0 + 0.03 * xx + 0.02 * yy + 1.5 * (xx >= w // 2)).astype(np.float32)


def test_plane_residual_is_zero_on_planes_up_to_the_border_and_relative() -> None:
    depth = two_planes()
    rel = plane_residual_rel(depth)
    assert rel[:, : depth.shape[1] // 2 - 1].max() < 1e-6  # the border is extended linearly
    assert rel[:, depth.shape[1] // 2].min() > 0.05  # the 1.5 m step
    np.testing.assert_allclose(plane_residual_rel(1000.0 * depth), rel, atol=1e-6)  # unit-free
    noisy = depth + np.random.default_rng(0).normal(0.0, 0.004, depth.shape).astype(np.float32)
    assert 0.0005 < np.median(plane_residual_rel(noisy)[:, :10]) < 0.003  # ~0.1-0.2 % noise


def test_weight_is_zero_on_planes_and_one_at_steps_and_near_holes() -> None:
    depth = two_planes()
    mask = np.ones(depth.shape, dtype=bool)
    mask[3, 20] = False
    weight = guard_weight_lr(depth, mask, 0.01, 0.03)
    assert weight.dtype == np.float32 and weight.min() >= 0.0 and weight.max() <= 1.0
    assert weight[:, :10].max() == 0.0  # 2 LR pixels from the step: kept
    assert (weight[:, 10:14] == 1.0).all()  # the step's windows (11, 12) and their 3x3 reach
    assert (weight[1:6, 18:23] == 1.0).all()  # the hole's windows and their reach
    assert weight[10:, 18:].max() == 0.0  # the right plane away from the hole


def test_apply_blends_between_the_input_and_the_network() -> None:
    up = np.full((8, 8), 2.0, dtype=np.float32)
    sr = np.full((8, 8), 2.5, dtype=np.float32)
    np.testing.assert_allclose(apply_flat_guard(sr, up, np.zeros((2, 2), np.float32)), up)
    np.testing.assert_allclose(apply_flat_guard(sr, up, np.ones((2, 2), np.float32)), sr)
    half = apply_flat_guard(sr, up, np.full((2, 2), 0.5, np.float32))
    np.testing.assert_allclose(half, 2.25, atol=1e-6)


def test_pipeline_keeps_the_bicubic_map_on_planes_only_when_asked() -> None:
    depth = two_planes()
    rgb = np.zeros((64, 96, 3), dtype=np.uint8)
    guarded = DepthSRPipeline(OffsetBackend(), RuntimeConfig(flat_guard=True)).run(rgb, depth)
    plain = DepthSRPipeline(OffsetBackend(), RuntimeConfig()).run(rgb, depth)
    left = (slice(None), slice(0, 28))
    np.testing.assert_allclose(guarded.depth_sr[left], guarded.depth_lr_up[left], atol=1e-5)
    assert np.abs(plain.depth_sr[left] - plain.depth_lr_up[left]).min() > 0.05  # 5 % of 1.5+ m
    step = (slice(None), slice(44, 52))
    np.testing.assert_allclose(guarded.depth_sr[step], plain.depth_sr[step], atol=1e-5)
    np.testing.assert_array_equal(guarded.mask_valid, plain.mask_valid)


@pytest.mark.parametrize("value", [(0.03, 0.01), (-0.1, 0.2), (0.01,), (0.01, 1.5), "on"])
def test_config_rejects_bad_guard_settings(value: object) -> None:
    key = "flat_guard" if value == "on" else "flat_guard_residual"
    with pytest.raises(ConfigError, match=key):
        RuntimeConfig(**{key: value})  # type: ignore[arg-type]


def test_config_from_yaml_lists() -> None:
    config = RuntimeConfig.from_mapping({"flat_guard": True, "flat_guard_residual": [0.005, 0.02]})
    assert config.flat_guard and config.flat_guard_residual == (0.005, 0.02)
