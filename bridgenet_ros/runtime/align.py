# SPDX-License-Identifier: Apache-2.0
"""Depth-to-RGB alignment: find and undo a global shift of the LR depth against the RGB.

A depth sensor that is not the colour camera, or one registered with slightly wrong
calibration, delivers a depth map whose edges sit a few pixels away from the RGB edges (the
real phone-ToF maps of ``rgbdd_realscene``: 4-7 RGB pixels; docs/architecture.md). The network
cannot tell which of the two edges is right. This module estimates the shift from the frame
itself, with no model and no ground truth, and moves the LR map onto the RGB:

1. work on a grid of at most ``ALIGN_GRID_MAX_WIDTH`` columns (``k`` RGB pixels per cell);
2. depth edges: the gradient magnitude of log depth (3x3 median, hole-filled, bilinear to the
   grid), zero on holes, kept where it is above its ``EDGE_QUANTILE`` quantile and above
   a jump of ``MIN_LOG_JUMP`` per LR pixel (sensor noise and mixed pixels make smaller
   steps; a flat scene has no edges): a binary mask ``E``;
3. image edges: the gradient magnitude ``G`` of the grey image on the grid, divided by its mean;
4. ``score(d) = sum_p E(p) G(p - d) / sum_p E(p)`` for every shift ``|d| <= max_shift`` cells
   (one FFT cross-correlation), refined to sub-cell precision by a parabola through the peak;
5. the best shift ``d*`` (RGB pixels ``k d*``) is applied only when ``score(d*) >= min_gain *
   score(0)``: an aligned frame keeps its depth untouched;
6. the LR map is moved by ``-d*`` (bilinear, in LR pixels; an output pixel is valid only where
   all its bilinear neighbours were valid).

``d = (dy, dx)`` is where the depth content sits relative to the RGB (positive = lower / to
the right). Numpy only (a robot running an engine has no scipy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.fill import fill_holes
from bridgenet_ros.runtime.normalize import valid_mask
from bridgenet_ros.runtime.resize import resize

__all__ = [
    "AlignEstimate",
    "align_depth_lr",
    "align_for_config",
    "estimate_offset",
    "shift_depth",
]

#: the estimate runs on a grid at most this many columns wide
ALIGN_GRID_MAX_WIDTH = 320
#: depth edges: pixels above this quantile of the log-depth gradient
EDGE_QUANTILE = 0.95
#: ... and above this log-depth jump per LR pixel (8 %), so that noise and flat scenes give none
MIN_LOG_JUMP = 0.08


@dataclass(frozen=True)
class AlignEstimate:
    """What :func:`estimate_offset` found.

    Attributes:
        offset_px: ``(dy, dx)`` of the depth content against the RGB, RGB pixels.
        gain: ``score(offset) / score(0)`` (1.0 when there was nothing to compare).
        applied: whether ``gain >= min_gain`` (else the frame counts as aligned).
    """

    offset_px: tuple[float, float]
    gain: float
    applied: bool


def _gradient_magnitude(image: np.ndarray) -> np.ndarray:
    """Central-difference gradient magnitude, zero on the border rows/columns."""
    gy = np.zeros_like(image)
    gx = np.zeros_like(image)
    gy[1:-1] = 0.5 * (image[2:] - image[:-2])
    gx[:, 1:-1] = 0.5 * (image[:, 2:] - image[:, :-2])
    return np.hypot(gx, gy)


def _grey_blocks(rgb: np.ndarray, grid_hw: tuple[int, int], cell: int) -> np.ndarray:
    """Grey image averaged over ``cell x cell`` blocks (the last partial rows/columns dropped)."""
    gh, gw = grid_hw
    block = rgb[: gh * cell, : gw * cell].astype(np.float32)
    grey = block @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return grey.reshape(gh, cell, gw, cell).mean(axis=(1, 3))


def _median3(image: np.ndarray) -> np.ndarray:
    """3x3 median (edges repeated): keeps steps, removes single-pixel noise."""
    padded = np.pad(image, 1, mode="edge")
    h, w = image.shape
    stack = [padded[y : y + h, x : x + w] for y in range(3) for x in range(3)]
    return np.median(np.stack(stack), axis=0).astype(image.dtype)


def _edge_maps(
    rgb: np.ndarray, depth_lr: np.ndarray, grid_hw: tuple[int, int], cell: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Binary depth edges and normalized grey gradients on the grid (``None``: no edges)."""
    valid = valid_mask(depth_lr)
    if valid.sum() < 4:
        return None
    filled = fill_holes(np.where(valid, depth_lr, 0.0).astype(np.float32), valid)
    log_lr = _median3(np.log(np.maximum(filled, 1e-6)))  # sensor noise and mixed pixels out
    log_depth = resize(log_lr, grid_hw, "bilinear")
    valid_grid = resize(valid.astype(np.float32), grid_hw, "bilinear") > 0.999
    grad_depth = _gradient_magnitude(log_depth)
    usable = valid_grid  # edges next to holes count: sensors drop pixels right at depth edges
    if not usable.any():
        return None
    cells_per_lr_px = grid_hw[1] / depth_lr.shape[1]
    floor = MIN_LOG_JUMP / max(cells_per_lr_px, 1.0)
    threshold = max(float(np.quantile(grad_depth[usable], EDGE_QUANTILE)), floor)
    edges = usable & (grad_depth > threshold)
    grad_rgb = _gradient_magnitude(_grey_blocks(rgb, grid_hw, cell))
    mean = float(grad_rgb.mean())
    if not edges.any() or mean <= 0.0:
        return None
    return edges, grad_rgb / mean


def _scores(edges: np.ndarray, grad: np.ndarray, radius: int) -> np.ndarray:
    """``(2r+1, 2r+1)`` score of every shift ``d`` (index ``d + r``), step 4 of the docstring."""
    h, w = edges.shape
    mask = np.zeros(edges.shape, dtype=np.float64)
    inner = edges[radius : h - radius, radius : w - radius]
    mask[radius : h - radius, radius : w - radius] = inner
    size = (h + radius, w + radius)  # zero padding: no wrap-around within |d| <= radius
    corr = np.fft.irfft2(np.fft.rfft2(mask, size) * np.conj(np.fft.rfft2(grad, size)), size)
    ds = np.arange(-radius, radius + 1)
    table = corr[np.ix_(ds % size[0], ds % size[1])]
    return np.asarray(table / max(float(mask.sum()), 1.0))


def _parabola_peak(left: float, centre: float, right: float) -> float:
    """Sub-cell offset (-0.5..0.5) of the maximum of a parabola through three samples."""
    curvature = left - 2.0 * centre + right
    if curvature >= 0.0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def estimate_offset(
    rgb: np.ndarray, depth_lr: np.ndarray, max_shift_px: float, min_gain: float
) -> AlignEstimate:
    """Estimate the shift of the LR depth against the RGB (module docstring, steps 1-5).

    Args:
        rgb: ``(H, W, 3)`` uint8 image.
        depth_lr: ``(h, w)`` LR depth in metres; 0/NaN/inf invalid.
        max_shift_px: largest shift searched per axis, RGB pixels.
        min_gain: least ``score(d*) / score(0)`` for the shift to count.
    """
    height, width = rgb.shape[:2]
    cell = max(1, math.ceil(width / ALIGN_GRID_MAX_WIDTH))
    grid_hw = (max(1, height // cell), max(1, width // cell))
    radius = max(1, int(math.ceil(max_shift_px / cell)))
    maps = None if min(grid_hw) <= 2 * radius + 4 else _edge_maps(rgb, depth_lr, grid_hw, cell)
    if maps is None:
        return AlignEstimate((0.0, 0.0), 1.0, False)
    scores = _scores(*maps, radius)
    iy, ix = np.unravel_index(int(np.argmax(scores)), scores.shape)
    base = float(scores[radius, radius])
    gain = float(scores[iy, ix]) / base if base > 0 else 1.0
    dy, dx = float(iy - radius), float(ix - radius)
    if 0 < iy < 2 * radius:
        dy += _parabola_peak(scores[iy - 1, ix], scores[iy, ix], scores[iy + 1, ix])
    if 0 < ix < 2 * radius:
        dx += _parabola_peak(scores[iy, ix - 1], scores[iy, ix], scores[iy, ix + 1])
    applied = gain >= min_gain and (iy, ix) != (radius, radius)
    return AlignEstimate((dy * cell, dx * cell), gain, applied)


def shift_depth(depth: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Move a depth map's content by ``(dy, dx)`` pixels (bilinear, edges repeated).

    An output pixel is valid only where every bilinear neighbour with weight > 0 is valid;
    invalid output pixels are 0.

    Returns:
        ``(h, w)`` float32.
    """
    h, w = depth.shape
    valid = valid_mask(depth)
    z = np.where(valid, depth, 0.0).astype(np.float32)
    src_y, src_x = np.arange(h) - dy, np.arange(w) - dx
    y0, x0 = np.floor(src_y).astype(np.int64), np.floor(src_x).astype(np.int64)
    fy, fx = src_y - y0, src_x - x0  # float64 weights: a flat region stays exactly flat
    out = np.zeros((h, w), dtype=np.float64)
    ok = np.ones((h, w), dtype=bool)
    for oy, wy in ((0, 1.0 - fy), (1, fy)):
        rows = np.clip(y0 + oy, 0, h - 1)
        for ox, wx in ((0, 1.0 - fx), (1, fx)):
            cols = np.clip(x0 + ox, 0, w - 1)
            weight = wy[:, None] * wx[None, :]
            out += weight * z[np.ix_(rows, cols)]
            ok &= (weight <= 1e-6) | valid[np.ix_(rows, cols)]
    return np.where(ok, out, 0.0).astype(np.float32)


def align_depth_lr(
    rgb: np.ndarray, depth_lr: np.ndarray, max_shift_px: float, min_gain: float
) -> tuple[np.ndarray, AlignEstimate]:
    """Estimate the shift and, where it counts, move the LR map onto the RGB (steps 1-6).

    Returns:
        ``(depth_lr, estimate)``: the input array itself when no shift is applied, else a new
        ``(h, w)`` float32 map with 0 at invalid pixels.
    """
    estimate = estimate_offset(rgb, depth_lr, max_shift_px, min_gain)
    if not estimate.applied:
        return depth_lr, estimate
    (dy, dx), (h, w) = estimate.offset_px, depth_lr.shape
    sy, sx = h / rgb.shape[0], w / rgb.shape[1]
    return shift_depth(depth_lr, -dy * sy, -dx * sx), estimate


def align_for_config(
    rgb: np.ndarray, depth_lr: np.ndarray, config: RuntimeConfig
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The pipelines' alignment step: :func:`align_depth_lr` under ``align_mode: auto``.

    Returns:
        ``(depth_lr, offset)``: ``offset`` is ``None`` with ``align_mode: off`` (the input
        returned as is), else the applied ``(dy, dx)`` in RGB pixels (``(0, 0)``: none).
    """
    if config.align_mode == "off":
        return depth_lr, None
    aligned, estimate = align_depth_lr(
        rgb, depth_lr, config.align_max_shift_px, config.align_min_gain
    )
    return aligned, (estimate.offset_px if estimate.applied else (0.0, 0.0))
