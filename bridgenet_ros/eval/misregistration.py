# SPDX-License-Identifier: Apache-2.0
"""How far a depth map sits from its ground truth: the best global shift (numpy/scipy).

A depth sensor mounted beside the RGB camera sees edges a few pixels away from where the RGB
(and a registered ground truth) has them. :func:`best_global_shift` measures that offset for
one image by trying every shift on a grid and keeping the one with the lowest RMSE against the
ground truth -- a diagnostic for data with ground truth (e.g. ``rgbdd_realscene``), not a
calibration: on a robot, register depth to RGB with the cameras' extrinsics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.eval.metrics import crop_border

__all__ = ["ShiftFit", "best_global_shift"]


@dataclass(frozen=True)
class ShiftFit:
    """Result of :func:`best_global_shift`.

    Attributes:
        dy: rows to move the estimate by (positive = down) to best match the ground truth.
        dx: columns to move it by (positive = right).
        rmse: RMSE after that move, in the depth unit.
        rmse_unshifted: RMSE as given.
    """

    dy: float
    dx: float
    rmse: float
    rmse_unshifted: float


def best_global_shift(
    depth: np.ndarray,
    depth_gt: np.ndarray,
    *,
    max_shift_px: float = 8.0,
    step_px: float = 1.0,
    crop: int = 6,
) -> ShiftFit:
    """Grid-search the translation of ``depth`` that minimises its RMSE against ``depth_gt``.

    Args:
        depth: ``(H, W)`` estimate (e.g. the bicubic-upsampled LR map), finite.
        depth_gt: ``(H, W)`` ground truth; pixels that are not finite or ``<= 0`` are ignored.
        max_shift_px: search ``[-max_shift_px, max_shift_px]`` pixels per axis.
        step_px: grid step in pixels (sub-pixel steps use bilinear interpolation).
        crop: border crop in pixels, as the metrics (hides the repeated edge the shift adds
            when ``crop >= max_shift_px``).

    Returns:
        The best shift and the RMSE before and after it.

    Raises:
        ShapeError: for mismatched or non-2-D maps, a non-positive step or no valid pixel.
    """
    if depth.ndim != 2 or depth.shape != depth_gt.shape:
        raise ShapeError(
            f"best_global_shift needs two (H, W) maps of one size, got {depth.shape} and "
            f"{depth_gt.shape}"
        )
    if step_px <= 0.0 or max_shift_px < 0.0:
        raise ShapeError(f"need step_px > 0 and max_shift_px >= 0, got {step_px}, {max_shift_px}")
    gt = crop_border(depth_gt.astype(np.float64), crop)
    valid = np.isfinite(gt) & (gt > 0)
    if not valid.any():
        raise ShapeError("best_global_shift: the ground truth has no valid pixel inside the crop")
    source = depth.astype(np.float64)
    n_steps = int(np.floor(max_shift_px / step_px + 1e-9))
    offsets = np.arange(-n_steps, n_steps + 1) * step_px

    def rmse_at(dy: float, dx: float) -> float:
        moved = (
            source
            if dy == 0 and dx == 0
            else ndimage.shift(source, (dy, dx), order=1, mode="nearest")
        )
        err = crop_border(moved, crop)[valid] - gt[valid]
        return float(np.sqrt(np.mean(err * err)))

    best = (rmse_at(0.0, 0.0), 0.0, 0.0)
    unshifted = best[0]
    for dy in offsets:
        for dx in offsets:
            value = rmse_at(float(dy), float(dx))
            if value < best[0] - 1e-12:
                best = (value, float(dy), float(dx))
    return ShiftFit(dy=best[1], dx=best[2], rmse=best[0], rmse_unshifted=unshifted)
