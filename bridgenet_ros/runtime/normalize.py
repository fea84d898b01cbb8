# SPDX-License-Identifier: Apache-2.0
"""Depth normalization shared by training data, the runtime pipeline and evaluation.

The network sees depth in ``[0, 1]`` relative to the range of the *low-resolution input*:
``depth_norm = (depth - lo) / (hi - lo)`` where ``lo``/``hi`` are the valid min/max of the LR
map. The ground truth is never used to normalize inputs (it does not exist at run time); the
training targets are normalized with the same ``(lo, hi)`` taken from the LR input, so the
network learns to output depth in the LR map's frame and :func:`denormalize_depth` undoes it.
The transform is affine, so it works for metres and for unit-less disparity-like maps alike.

Which LR pixels count (:func:`lr_input_mask`): finite and positive, inside
``[min_depth, max_depth]`` when those are set, and not an *isolated outlier* -- a pixel none of
whose 8 neighbours lies within ``rel_tol`` of its depth **and** whose depth lies far outside the
range ``[lo_s, hi_s]`` of the supported (non-isolated) pixels: above
``hi_s + max(hi_s - lo_s, OUTLIER_REL_MARGIN * |hi_s|)`` or below
``lo_s - max(hi_s - lo_s, OUTLIER_REL_MARGIN * |lo_s|)``. A small object that is one LR pixel wide
stays (it lies near the scene's range); one stray return (a 100 m LiDAR echo, a 1e4 m
glitch, 3e38) therefore cannot stretch ``(lo, hi)`` for the whole frame; it becomes a hole like
any invalid pixel. On frames without such pixels the range is the plain valid min/max, exactly
what the network was trained with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridgenet_ros.errors import DataError

__all__ = [
    "DepthRange",
    "LRInputMask",
    "OUTLIER_REL_MARGIN",
    "OUTLIER_REL_TOL",
    "denormalize_depth",
    "depth_range",
    "lr_input_mask",
    "normalize_depth",
    "valid_mask",
]

#: smallest span ``hi - lo`` relative to ``max(|hi|, 1)``: a flat wall still normalizes sanely.
MIN_RELATIVE_SPAN = 1e-3

#: a pixel is "supported" when an 8-neighbour's depth is within this fraction of its own.
OUTLIER_REL_TOL = 0.1

#: how far outside the supported pixels' range an isolated pixel must lie to be an outlier,
#: as a fraction of the range's end (or the range's span, whichever is larger).
OUTLIER_REL_MARGIN = 0.5


@dataclass(frozen=True)
class DepthRange:
    """Normalization range ``[lo, hi]`` in the depth's own unit (metres inside the package)."""

    lo: float
    hi: float

    @property
    def span(self) -> float:
        """``hi - lo`` (always > 0)."""
        return self.hi - self.lo


def valid_mask(depth: np.ndarray) -> np.ndarray:
    """Boolean mask of valid depth: finite and strictly positive.

    Args:
        depth: ``(H, W)`` depth in any unit where 0 marks a hole (REP 118 uses NaN, sensors 0).
    """
    return np.isfinite(depth) & (depth > 0)


@dataclass(frozen=True)
class LRInputMask:
    """Which LR pixels the pipeline uses, and why the others are dropped.

    Attributes:
        mask: ``(h, w)`` bool, True for pixels used (normalization range, hole filling).
        n_invalid: pixels that are 0, negative, NaN or inf.
        n_out_of_range: finite positive pixels outside ``[min_depth, max_depth]``.
        n_outliers: isolated pixels far outside the range of the supported ones.
    """

    mask: np.ndarray
    n_invalid: int
    n_out_of_range: int
    n_outliers: int


def _has_close_neighbour(depth: np.ndarray, usable: np.ndarray, rel_tol: float) -> np.ndarray:
    """``(h, w)`` bool: an 8-neighbour is usable and within ``rel_tol * depth`` of the pixel."""
    h, w = depth.shape
    pad_depth = np.zeros((h + 2, w + 2), dtype=np.float64)
    pad_usable = np.zeros((h + 2, w + 2), dtype=bool)
    pad_depth[1:-1, 1:-1] = np.where(usable, depth, 0.0)
    pad_usable[1:-1, 1:-1] = usable
    center = pad_depth[1:-1, 1:-1]
    tol = rel_tol * np.abs(center)
    found = np.zeros((h, w), dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            window = (slice(1 + dy, 1 + dy + h), slice(1 + dx, 1 + dx + w))
            found |= pad_usable[window] & (np.abs(pad_depth[window] - center) <= tol)
    return found & usable


def lr_input_mask(
    depth_lr: np.ndarray,
    min_depth: float | None = None,
    max_depth: float | None = None,
    rel_tol: float = OUTLIER_REL_TOL,
) -> LRInputMask:
    """The LR pixels the pipeline trusts (see the module docstring for the rule).

    Args:
        depth_lr: ``(h, w)`` LR depth (metres, or raw unit-less values); 0/NaN/inf invalid.
        min_depth: smallest accepted depth, ``None`` for no limit.
        max_depth: largest accepted depth, ``None`` for no limit.
        rel_tol: neighbour agreement that makes a pixel "supported" (fraction of its depth).

    Returns:
        The mask and the count of each reason a pixel was dropped.
    """
    depth = np.asarray(depth_lr, dtype=np.float64)
    valid = valid_mask(depth)
    in_range = valid.copy()
    if min_depth is not None:
        in_range &= depth >= min_depth
    if max_depth is not None:
        in_range &= depth <= max_depth
    supported = _has_close_neighbour(depth, in_range, rel_tol)
    outlier = np.zeros_like(in_range)
    if supported.any():
        core = depth[supported]
        lo, hi = float(core.min()), float(core.max())
        above = hi + max(hi - lo, OUTLIER_REL_MARGIN * abs(hi))
        below = lo - max(hi - lo, OUTLIER_REL_MARGIN * abs(lo))
        outlier = in_range & ~supported & ((depth > above) | (depth < below))
    return LRInputMask(
        mask=in_range & ~outlier,
        n_invalid=int((~valid).sum()),
        n_out_of_range=int((valid & ~in_range).sum()),
        n_outliers=int(outlier.sum()),
    )


def depth_range(depth_lr: np.ndarray, mask: np.ndarray | None = None) -> DepthRange:
    """Normalization range from the valid pixels of the low-resolution depth.

    Args:
        depth_lr: ``(h, w)`` LR depth; invalid pixels are 0, NaN or inf.
        mask: optional ``(h, w)`` bool mask of valid pixels (default :func:`valid_mask`).

    Returns:
        The valid min/max, widened to a minimum span of ``MIN_RELATIVE_SPAN * max(|hi|, 1)``.

    Raises:
        DataError: if no pixel is valid (callers decide whether to skip or emit all-NaN).
    """
    if mask is None:
        mask = valid_mask(depth_lr)
    values = depth_lr[mask]
    if values.size == 0:
        raise DataError("depth map has no valid pixel (all 0/NaN/inf): cannot normalize it")
    lo = float(values.min())
    hi = float(values.max())
    min_span = MIN_RELATIVE_SPAN * max(abs(hi), 1.0)
    if hi - lo < min_span:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - 0.5 * min_span, mid + 0.5 * min_span
    return DepthRange(lo=lo, hi=hi)


def normalize_depth(
    depth: np.ndarray, rng: DepthRange, out: np.ndarray | None = None
) -> np.ndarray:
    """Map depth to the network's normalized frame, float32 ``(depth - lo) / (hi - lo)``.

    Args:
        depth: depth in the range's unit, any shape.
        rng: the LR normalization range.
        out: optional float32 destination of ``depth``'s shape (e.g. a padded buffer's view).

    Returns:
        ``out`` when given, else a new float32 array.
    """
    out = np.subtract(np.asarray(depth, dtype=np.float32), rng.lo, out=out, dtype=np.float32)
    return np.divide(out, rng.span, out=out)


def denormalize_depth(depth_norm: np.ndarray, rng: DepthRange) -> np.ndarray:
    """Inverse of :func:`normalize_depth`, float32 in the depth's own unit."""
    out = np.multiply(np.asarray(depth_norm, dtype=np.float32), rng.span, dtype=np.float32)
    return np.add(out, rng.lo, out=out)
