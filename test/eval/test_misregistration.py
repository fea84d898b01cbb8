# SPDX-License-Identifier: Apache-2.0
"""The global-shift diagnostic finds a known offset."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.eval.misregistration import best_global_shift


def _scene() -> np.ndarray:
    yy, xx = np.mgrid[0:64, 0:80].astype(np.float64)
    depth = 2.0 + 0.01 * xx
    depth[(yy - 30) ** 2 + (xx - 40) ** 2 < 15**2] = 1.0  # a near disc
    depth[5:20, 55:70] = 3.5  # a far box
    return depth


@pytest.mark.parametrize(("dy", "dx"), [(3.0, -2.0), (-4.0, 5.0), (0.0, 0.0)])
def test_recovers_an_integer_offset(dy: float, dx: float) -> None:
    gt = _scene()
    moved = ndimage.shift(gt, (dy, dx), order=1, mode="nearest")
    fit = best_global_shift(moved, gt, max_shift_px=6, step_px=1.0, crop=6)
    assert (fit.dy, fit.dx) == (-dy, -dx)
    assert fit.rmse < 1e-9
    if dy or dx:
        assert fit.rmse_unshifted > 0.1


def test_sub_pixel_step_and_holes_ignored() -> None:
    gt = _scene()
    moved = ndimage.shift(gt, (1.5, 0.0), order=1, mode="nearest")
    gt_holes = gt.copy()
    gt_holes[40:50, 10:20] = 0.0  # invalid ground truth is not scored
    fit = best_global_shift(moved, gt_holes, max_shift_px=2, step_px=0.5, crop=6)
    assert (fit.dy, fit.dx) == (-1.5, 0.0)
    assert fit.rmse < fit.rmse_unshifted


def test_bad_input_is_refused() -> None:
    with pytest.raises(ShapeError, match="one size"):
        best_global_shift(np.zeros((10, 10)), np.zeros((10, 11)))
    with pytest.raises(ShapeError, match="no valid pixel"):
        best_global_shift(np.ones((30, 30)), np.zeros((30, 30)), max_shift_px=1)
    with pytest.raises(ShapeError, match="step_px"):
        best_global_shift(np.ones((30, 30)), np.ones((30, 30)), step_px=0)
