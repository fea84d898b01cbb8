# SPDX-License-Identifier: Apache-2.0
"""Depth-to-RGB alignment (bridgenet_ros.runtime.align) and its use by the pipeline.

Robot-side (numpy only, in `make test-compat`); the scene helpers are shared with
test/eval/test_align_eval.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.align import align_depth_lr, estimate_offset, shift_depth
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline
from bridgenet_ros.runtime.resize import resize

from .conftest import EchoBackend

SCALE = 4


def scene(h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """RGB whose edges are the depth edges: two boxes in front of a wall, ``(rgb, depth_m)``."""
    depth = np.full((h, w), 3.0, dtype=np.float32)
    rgb = np.full((h, w, 3), 110, dtype=np.uint8)
    for (y0, y1, x0, x1), z, colour in (((30, 70, 40, 90), 1.5, 220), ((8, 30, 96, 120), 2.0, 20)):
        depth[y0:y1, x0:x1] = z
        rgb[y0:y1, x0:x1] = colour
    return rgb, depth


def lr_of(depth: np.ndarray, shift_yx: tuple[int, int] = (0, 0)) -> np.ndarray:
    """``depth`` moved by ``shift_yx`` RGB pixels (content lower / to the right), then x4 LR."""
    moved = np.roll(depth, shift_yx, axis=(0, 1))
    h, w = depth.shape
    return resize(moved, (h // SCALE, w // SCALE), "bicubic").astype(np.float32)


def test_estimate_finds_a_known_shift() -> None:
    rgb, depth = scene()
    estimate = estimate_offset(rgb, lr_of(depth, (6, -4)), max_shift_px=10.0, min_gain=1.15)
    assert estimate.applied and estimate.gain > 1.15
    assert estimate.offset_px == pytest.approx((6.0, -4.0), abs=1.5)


def test_aligned_and_flat_frames_are_left_alone() -> None:
    rgb, depth = scene()
    lr = lr_of(depth)
    out, estimate = align_depth_lr(rgb, lr, 10.0, 1.15)
    assert not estimate.applied and out is lr
    flat = np.full_like(lr, 2.0)
    out, estimate = align_depth_lr(rgb, flat, 10.0, 1.15)
    assert not estimate.applied and estimate.gain == 1.0 and out is flat


def test_shift_depth_moves_content_and_holes() -> None:
    depth = np.arange(1, 26, dtype=np.float32).reshape(5, 5)
    depth[2, 2] = 0.0
    moved = shift_depth(depth, 1.0, -1.0)  # one row down, one column left
    assert moved[1, 0] == depth[0, 1] and moved[4, 3] == depth[3, 4]
    assert moved[3, 1] == 0.0  # the hole moved with the content
    half = shift_depth(depth, 0.0, 0.5)
    assert half[0, 1] == pytest.approx(0.5 * (depth[0, 0] + depth[0, 1]))
    assert half[2, 2] == 0.0 and half[2, 3] == 0.0  # both neighbours of the hole touch it
    np.testing.assert_array_equal(shift_depth(depth, 0.0, 0.0), depth)


def test_pipeline_aligns_only_when_asked() -> None:
    rgb, depth = scene()
    lr = lr_of(depth, (6, -4))
    plain = DepthSRPipeline(EchoBackend()).run(rgb, lr)
    aligned = DepthSRPipeline(EchoBackend(), RuntimeConfig(align_mode="auto")).run(rgb, lr)
    assert plain.align_offset_px is None
    assert aligned.align_offset_px == pytest.approx((6.0, -4.0), abs=1.5)

    def rmse(pred: np.ndarray) -> float:
        ok = np.isfinite(pred)
        return float(np.sqrt(np.mean((pred[ok] - depth[ok]) ** 2)))

    assert rmse(aligned.depth_lr_up) < 0.6 * rmse(plain.depth_lr_up)


@pytest.mark.parametrize(
    "bad",
    [{"align_mode": "always"}, {"align_max_shift_px": 0.0}, {"align_min_gain": 0.9}],
)
def test_config_rejects_bad_alignment_settings(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="align"):
        RuntimeConfig(**bad)  # type: ignore[arg-type]
