# SPDX-License-Identifier: Apache-2.0
"""The flat guard: keep the up-sampled input where the LR depth is locally a plane.

Where the true surface is a plane, bicubic up-sampling of its LR samples is already exact (the
Keys kernel reproduces linear functions), so a network can only add error there; on real sensor
depth the shipped models are 1.02-1.11x bicubic on flat regions (docs/results.md, "Real-sensor
protocol") for that reason. With ``RuntimeConfig.flat_guard`` the pipeline blends
``depth = up + w * (sr - up)`` with a per-pixel weight ``w`` from the LR depth alone (no model,
no RGB; numpy only, and the deployment graph computes the same):

1. for every LR pixel, the least-squares plane through its 3x3 window of the hole-filled LR
   depth (extended linearly past the border, ``2 z_0 - z_1``, so a plane stays a plane) and the
   RMS of the residual relative to the window's mean depth, ``rel`` (closed form: the window's
   coordinates are orthogonal, so
   ``9 * rms^2 = sum z^2 - (sum z)^2 / 9 - (sum u z)^2 / 6 - (sum v z)^2 / 6``);
2. ``w_lr = clip((rel - lo) / (hi - lo), 0, 1)``, and 1 where the window holds an unusable
   (hole) pixel, so hole rims keep the network;
3. a 3x3 maximum of ``w_lr`` (the bicubic kernel reaches two LR pixels: any structure there
   keeps the network), then the same bicubic up-sampling to the output grid, clipped to 0..1.

``lo``/``hi`` (``flat_guard_residual``, default 1 % / 3 % of the depth) were chosen on the
RGB-D-D validation frames (docs/results.md, "Flat guard"): below ``lo`` a window is a plane up
to sensor noise, above ``hi`` it holds an edge or a curve the network may sharpen.
"""

from __future__ import annotations

import numpy as np

from bridgenet_ros.runtime.resize import resize

__all__ = ["apply_flat_guard", "guard_weight_lr", "plane_residual_rel"]


def _window_sums(padded: np.ndarray, weights: tuple[float, float, float], axis: int) -> np.ndarray:
    """Weighted sum of 3 neighbours along ``axis`` of an array padded by 1 on that axis."""
    n = padded.shape[axis] - 2
    parts = [
        w * np.take(padded, np.arange(k, k + n), axis=axis) for k, w in enumerate(weights) if w
    ]
    return np.sum(parts, axis=0)


def _max3(x: np.ndarray) -> np.ndarray:
    """3x3 maximum of a ``(h, w)`` map (border: the pixels inside), as the graph's ``MaxPool``."""
    padded = np.pad(x, 1, mode="edge")
    rows = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    return np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])


def plane_residual_rel(depth_filled: np.ndarray) -> np.ndarray:
    """``(h, w)`` RMS residual of each 3x3 window's plane fit, relative to its mean depth.

    Args:
        depth_filled: ``(h, w)`` hole-filled LR depth, any positive unit.

    Returns:
        ``(h, w)`` float64, unit-free (0.01 = 1 % of the depth).
    """
    offset = float(np.mean(depth_filled))  # sums of z - offset: no cancellation in float32
    z = np.pad(depth_filled.astype(np.float64) - offset, 1, mode="reflect", reflect_type="odd")
    box, ramp = (1.0, 1.0, 1.0), (-1.0, 0.0, 1.0)
    rows_box, rows_z2 = _window_sums(z, box, 0), _window_sums(z * z, box, 0)
    s = _window_sums(rows_box, box, 1)
    s2 = _window_sums(rows_z2, box, 1)
    su = _window_sums(rows_box, ramp, 1)  # columns: u = -1, 0, 1
    sv = _window_sums(_window_sums(z, ramp, 0), box, 1)  # rows: v = -1, 0, 1
    res2 = np.maximum(s2 - s * s / 9.0 - su * su / 6.0 - sv * sv / 6.0, 0.0) / 9.0
    return np.sqrt(res2) / np.maximum(np.abs(s / 9.0 + offset), 1e-12)


def guard_weight_lr(
    depth_filled: np.ndarray, mask_lr: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """``(h, w)`` float32 network weight in 0..1 on the LR grid (steps 1-3 before up-sampling).

    Args:
        depth_filled: ``(h, w)`` hole-filled LR depth.
        mask_lr: ``(h, w)`` bool, the LR pixels the pipeline uses (holes are False).
        lo: relative residual at and below which the input is kept (weight 0).
        hi: relative residual at and above which the network is kept (weight 1).
    """
    weight = np.clip((plane_residual_rel(depth_filled) - lo) / (hi - lo), 0.0, 1.0)
    weight[_max3(~mask_lr)] = 1.0  # a hole in the window
    return _max3(weight).astype(np.float32)


def apply_flat_guard(
    depth_sr: np.ndarray, depth_lr_up: np.ndarray, weight_lr: np.ndarray
) -> np.ndarray:
    """``depth_lr_up + w * (depth_sr - depth_lr_up)`` with ``w`` = bicubic up-sampled weight.

    Args:
        depth_sr: ``(H, W)`` float32 network depth (metres) on the output grid.
        depth_lr_up: ``(H, W)`` float32 bicubic up-sampling of the filled LR depth, same grid.
        weight_lr: ``(h, w)`` :func:`guard_weight_lr`.

    Returns:
        A new ``(H, W)`` float32 array.
    """
    weight = np.clip(resize(weight_lr, depth_sr.shape, "bicubic"), 0.0, 1.0)
    return (depth_lr_up + weight * (depth_sr - depth_lr_up)).astype(np.float32)
