# SPDX-License-Identifier: Apache-2.0
"""Depth normalization shared by training data, the runtime pipeline and evaluation.

The network sees depth in ``[0, 1]`` relative to the range of the *low-resolution input*:
``depth_norm = (depth - lo) / (hi - lo)`` where ``lo``/``hi`` are the valid min/max of the LR
map. The ground truth is never used to normalize inputs (it does not exist at run time); the
training targets are normalized with the same ``(lo, hi)`` taken from the LR input, so the
network learns to output depth in the LR map's frame and :func:`denormalize_depth` undoes it.
The transform is affine, so it works for metres and for unit-less disparity-like maps alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridgenet_ros.errors import DataError

__all__ = ["DepthRange", "denormalize_depth", "depth_range", "normalize_depth", "valid_mask"]

#: smallest span ``hi - lo`` relative to ``max(|hi|, 1)``: a flat wall still normalizes sanely.
MIN_RELATIVE_SPAN = 1e-3


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


def normalize_depth(depth: np.ndarray, rng: DepthRange) -> np.ndarray:
    """Map depth to the network's normalized frame, float32 ``(depth - lo) / (hi - lo)``."""
    return ((np.asarray(depth, dtype=np.float32) - rng.lo) / rng.span).astype(np.float32)


def denormalize_depth(depth_norm: np.ndarray, rng: DepthRange) -> np.ndarray:
    """Inverse of :func:`normalize_depth`, float32 in the depth's own unit."""
    return (np.asarray(depth_norm, dtype=np.float32) * rng.span + rng.lo).astype(np.float32)
