# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import DataError, ShapeError
from bridgenet_ros.runtime.fill import fill_holes


def test_valid_pixels_unchanged_and_holes_interpolated() -> None:
    y, x = np.mgrid[0:20, 0:30].astype(np.float32)
    depth = 1.0 + 0.05 * x + 0.02 * y
    mask = np.ones_like(depth, dtype=bool)
    mask[8:11, 12:15] = False
    filled = fill_holes(np.where(mask, depth, 0.0), mask)
    np.testing.assert_array_equal(filled[mask], depth[mask])
    # a Gaussian mean is biased at a hole's edge by less than the plane's step of one pixel
    np.testing.assert_allclose(filled[~mask], depth[~mask], atol=0.05)
    assert abs(filled[9, 13] - depth[9, 13]) < 1e-3  # the centre sees a symmetric neighbourhood
    assert filled.dtype == np.float32


def test_large_hole_needs_sigma_growth_and_stays_in_range() -> None:
    depth = np.full((40, 40), 2.0, dtype=np.float32)
    depth[:, 20:] = 3.0
    mask = np.ones_like(depth, dtype=bool)
    mask[5:35, 5:35] = False  # 30 px hole: far beyond 3 sigma of the first pass
    filled = fill_holes(np.where(mask, depth, np.nan), mask, sigma_px=1.0)
    assert np.isfinite(filled).all()
    assert filled.min() >= 2.0 - 1e-6 and filled.max() <= 3.0 + 1e-6
    assert filled[20, 6] < filled[20, 33]  # each side stays nearer to its own border depth


def test_single_valid_pixel_fills_everything_with_its_value() -> None:
    depth = np.zeros((10, 12), dtype=np.float32)
    mask = np.zeros_like(depth, dtype=bool)
    depth[0, 0], mask[0, 0] = 4.0, True
    filled = fill_holes(depth, mask, sigma_px=1.0, max_iterations=0)
    np.testing.assert_allclose(filled, 4.0)


def test_errors() -> None:
    with pytest.raises(DataError, match="no valid pixel"):
        fill_holes(np.zeros((4, 4)), np.zeros((4, 4), dtype=bool))
    with pytest.raises(ShapeError, match="same shape"):
        fill_holes(np.zeros((4, 4)), np.zeros((4, 5), dtype=bool))
