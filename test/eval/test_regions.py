# SPDX-License-Identifier: Apache-2.0
"""Region masks on synthetic maps: a step edge, a slanted plane, holes."""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError, ShapeError
from bridgenet_ros.eval.regions import RegionConfig, compute_regions, plane_residual

H, W = 64, 96


def _step(near: float = 1.0, far: float = 2.0, col: int = 48) -> np.ndarray:
    depth = np.full((H, W), far, dtype=np.float32)
    depth[:, :col] = near
    return depth


def test_step_edge_band_around_it_flat_away_from_it() -> None:
    masks = compute_regions(_step(), scale=4.0)
    cfg = RegionConfig()
    band, margin = cfg.band_px(4.0), cfg.margin_px(4.0)
    assert (band, margin) == (4, 8)
    cols = np.arange(W)
    # the discontinuity lies between columns 47 and 48; distance from pixel to the nearer of them
    dist = np.minimum(np.abs(cols - 47), np.abs(cols - 48))
    expected_edge = dist <= band
    np.testing.assert_array_equal(masks.edge, np.broadcast_to(expected_edge, (H, W)))
    # flat: far from the edge on both sides; nothing flat within the margin
    assert masks.flat[:, dist > margin].all()
    assert not masks.flat[:, dist <= margin].any()
    assert not (masks.flat & masks.edge).any()
    assert not masks.rim.any() and masks.valid.all()


def test_band_and_margin_grow_with_scale() -> None:
    narrow = compute_regions(_step(), scale=2.0)
    wide = compute_regions(_step(), scale=8.0)
    assert wide.edge.sum() > narrow.edge.sum()
    assert wide.flat.sum() < narrow.flat.sum()
    assert (narrow.edge <= wide.edge).all()  # a wider band contains the narrower


def test_slanted_plane_is_flat_and_has_no_edge() -> None:
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    # steep but smooth: 1 %/px across a 1-2 m plane (a floor at a grazing angle)
    plane = 1.0 + 0.01 * x + 0.004 * y
    masks = compute_regions(plane, scale=4.0)
    assert masks.flat.all() and not masks.edge.any()


def test_curved_surface_and_crease_are_not_flat() -> None:
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    crease = 2.0 + 0.03 * np.abs(x - 48)  # a roof ridge: 1.5 % / px slopes, no 5 % jump
    masks = compute_regions(crease.astype(np.float32), scale=2.0)
    assert not masks.edge.any()
    assert not masks.flat[:, 46:51].any()  # the fitted plane misses the ridge
    assert masks.flat[:, :40].all() and masks.flat[:, 56:].all()


def test_holes_never_counted_and_rims_excluded() -> None:
    depth = _step()
    depth[20:30, 10:20] = 0.0  # a hole inside the near surface
    depth[40:44, 70:74] = np.nan  # a NaN hole inside the far surface
    # flying pixels on the hole's rim: large jumps that must not make an edge band
    depth[19, 10:20] = 5.0
    masks = compute_regions(depth, scale=2.0)
    holes = (depth == 0) | np.isnan(depth)
    for region in (masks.edge, masks.flat, masks.rim, masks.valid):
        assert not (region & holes).any()
    # rim: the valid pixels within rim_px (2) of a hole, and only those
    assert masks.rim[18:20, 10:20].all() and masks.rim[20:30, 8:10].all()
    assert not masks.rim[:, 30:60].any()
    # the flying pixels lie in the rim, so they create no edge around the hole
    assert not masks.edge[10:40, 0:30].any()
    assert not (masks.rim & (masks.edge | masks.flat)).any()
    # away from holes and the step, the surfaces are still flat
    assert masks.flat[50:60, 0:30].all()


def test_hole_between_two_surfaces_marks_both_sides() -> None:
    depth = _step(col=48)
    depth[:, 46:50] = 0.0  # a 4 px stereo shadow exactly at the step
    masks = compute_regions(depth, scale=4.0, config=RegionConfig(rim_px=1))
    # rim = columns 45 and 50; the two nearest-core fills meet between columns 47 and 48, so the
    # 4 px band reaches the core on both sides of the hole (columns 43-44 and 51-52)
    cols = np.flatnonzero(masks.edge.all(axis=0))
    np.testing.assert_array_equal(cols, [43, 44, 51, 52])
    assert not masks.edge[:, ~np.isin(np.arange(W), cols)].any()
    # never flat within the 8 px margin of the hidden step
    flat_cols = np.flatnonzero(masks.flat.all(axis=0))
    np.testing.assert_array_equal(flat_cols, np.r_[0:39, 57:W])
    assert not masks.flat[:, 39:57].any()


def test_all_invalid_and_bad_input() -> None:
    masks = compute_regions(np.zeros((8, 8), np.float32))
    assert not (masks.edge.any() or masks.flat.any() or masks.valid.any())
    with pytest.raises(ShapeError):
        compute_regions(np.ones((2, 4, 4), np.float32))
    with pytest.raises(ShapeError):
        compute_regions(np.ones((8, 8), np.float32), scale=0.5)
    with pytest.raises(ConfigError, match="margin_lr_px"):
        RegionConfig(band_lr_px=3.0, margin_lr_px=2.0)
    with pytest.raises(ConfigError):
        RegionConfig.from_mapping({"edge_px": 3})


def test_plane_residual_matches_lstsq() -> None:
    rng = np.random.default_rng(0)
    depth = rng.random((12, 12)) + 1.0
    weight = rng.random((12, 12)) > 0.3
    rms, count = plane_residual(depth, weight, 2)
    i, j = 6, 5
    ys, xs = np.mgrid[i - 2 : i + 3, j - 2 : j + 3]
    keep = weight[ys, xs]
    a = np.stack([np.ones(keep.sum()), xs[keep] - j, ys[keep] - i], 1)
    coef, *_ = np.linalg.lstsq(a, depth[ys, xs][keep], rcond=None)
    resid = depth[ys, xs][keep] - a @ coef
    assert count[i, j] == keep.sum()
    assert rms[i, j] == pytest.approx(np.sqrt(np.mean(resid**2)), rel=1e-6)
