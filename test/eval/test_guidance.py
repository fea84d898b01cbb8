# SPDX-License-Identifier: Apache-2.0
"""Evaluation frames without or with the wrong RGB guidance."""

from __future__ import annotations

import numpy as np

from bridgenet_ros.eval.evaluate import EvalFrame
from bridgenet_ros.eval.guidance import flat_rgb_frames, shuffled_rgb_frames


def _frame(name: str, h: int, w: int, seed: int) -> EvalFrame:
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    depth = np.ones((h, w), np.float32)
    return EvalFrame(name, rgb, depth, depth[::4, ::4].copy())


def test_flat_rgb_is_the_mean_colour_and_keeps_the_depth() -> None:
    frame = _frame("a", 16, 24, 0)
    (flat,) = flat_rgb_frames([frame])
    assert flat.rgb.shape == frame.rgb.shape and flat.rgb.dtype == np.uint8
    assert np.all(flat.rgb == flat.rgb[0, 0])
    np.testing.assert_array_equal(flat.rgb[0, 0], frame.rgb.mean((0, 1)).astype(np.uint8))
    assert flat.depth_lr is frame.depth_lr and not np.all(frame.rgb == frame.rgb[0, 0])


def test_shuffled_rgb_comes_from_the_next_frame_resized_to_fit() -> None:
    a, b, c = _frame("a", 16, 24, 0), _frame("b", 16, 24, 1), _frame("c", 20, 30, 2)
    first, second, third = shuffled_rgb_frames([a, b, c])
    assert first.rgb is b.rgb  # same size: the next frame's image as it is
    assert second.rgb.shape == b.rgb.shape  # c's image, resized to b's size
    assert abs(float(second.rgb.mean()) - float(c.rgb.mean())) < 8.0
    assert third.rgb.shape == c.rgb.shape and third.depth_hr is c.depth_hr
