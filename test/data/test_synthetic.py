# SPDX-License-Identifier: Apache-2.0
"""Procedural scenes: determinism, ranges, intrinsics, texture independent of depth."""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.data.synthetic import SyntheticScenes, render_scene, scaled_intrinsics
from bridgenet_ros.errors import ConfigError


def test_deterministic_per_seed_and_index() -> None:
    scenes = SyntheticScenes(seed=7, height=48, width=64)
    a, b = scenes[3], SyntheticScenes(seed=7, height=48, width=64)[3]
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.K, b.K)
    assert not np.array_equal(a.depth, scenes[4].depth)
    assert not np.array_equal(a.depth, SyntheticScenes(seed=8, height=48, width=64)[3].depth)
    np.testing.assert_array_equal(scenes[-1].depth, scenes[len(scenes) - 1].depth)


def test_shapes_ranges_and_intrinsics() -> None:
    scenes = SyntheticScenes(seed=0, height=60, width=80)
    for i in range(6):
        frame = scenes[i]
        assert frame.rgb.shape == (60, 80, 3) and frame.rgb.dtype == np.uint8
        assert frame.depth.shape == (60, 80) and frame.depth.dtype == np.float32
        assert frame.K.shape == (3, 3) and frame.K.dtype == np.float64
        assert np.isfinite(frame.depth).all()
        assert 0.3 <= float(frame.depth.min()) and float(frame.depth.max()) <= 10.0
        assert float(frame.depth.max() - frame.depth.min()) > 0.3  # not a flat wall
        assert 525 * 80 / 640 * 0.94 < frame.K[0, 0] < 525 * 80 / 640 * 1.06
        assert frame.K[0, 2] == pytest.approx(39.5) and frame.K[1, 2] == pytest.approx(29.5)
        assert frame.rgb.std() > 5  # lit and textured, not black
    k = scaled_intrinsics(480, 640)
    assert k[0, 0] == 525.0 and k[1, 1] == 525.0 and k[0, 2] == 319.5


def test_depth_is_a_pinhole_projection_of_planes() -> None:
    # Room walls are planes: in a pixel neighbourhood on one plane, 1/depth is affine in (u, v).
    frame = SyntheticScenes(seed=1, height=120, width=160)[0]
    inv = 1.0 / frame.depth.astype(np.float64)
    second = np.abs(inv[:, 2:] - 2 * inv[:, 1:-1] + inv[:, :-2])
    # most pixels are on planar patches: second differences of 1/z vanish
    assert np.median(second) < 1e-5


def test_rgb_edges_are_not_only_depth_edges() -> None:
    scenes = SyntheticScenes(seed=2, height=96, width=128)
    texture_only = 0
    total = 0
    for i in range(8):
        frame = scenes[i]
        grey = frame.rgb.astype(np.float32).mean(axis=2)
        rgb_edge = np.abs(np.diff(grey, axis=1)) > 40
        depth_edge = np.abs(np.diff(frame.depth, axis=1)) > 0.05
        texture_only += int((rgb_edge & ~depth_edge).sum())
        total += int(rgb_edge.sum())
    assert total > 0 and texture_only / total > 0.3


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        SyntheticScenes(height=4, width=4)
    with pytest.raises(ConfigError):
        SyntheticScenes(seed=-1)
    with pytest.raises(IndexError):
        SyntheticScenes(length=2)[2]


def test_second_rig_camera_sees_the_same_scene() -> None:
    # identity view = the drawn camera; a view with other intrinsics is the same room (at the
    # centre pixel, which both cameras share, the depth is the same)
    default = render_scene(np.random.default_rng([5, 1]), 48, 64)
    same = render_scene(
        np.random.default_rng([5, 1]), 48, 64, view_from_ref=(np.eye(3), np.zeros(3))
    )
    for a, b in zip(default, same):
        np.testing.assert_array_equal(a, b)
    k = scaled_intrinsics(49, 65, 300.0)  # odd size: a pixel exactly on the optical axis
    _, wide, _ = render_scene(np.random.default_rng([5, 1]), 49, 65, intrinsics=k)
    _, narrow, _ = render_scene(
        np.random.default_rng([5, 1]), 49, 65, intrinsics=scaled_intrinsics(49, 65, 900.0)
    )
    assert wide[24, 32] == pytest.approx(narrow[24, 32], rel=1e-5)
    assert not np.allclose(wide, narrow)
