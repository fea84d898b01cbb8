# SPDX-License-Identifier: Apache-2.0
"""Hole filling of depth maps by normalized convolution (numpy only).

The network must never see NaN or zeros that mean "no measurement". Normalized convolution
(Knutsson & Westin, 1993) fills a hole with the Gaussian-weighted mean of the valid depth around
it: ``filled = G * (depth * mask) / G * mask``. Valid pixels keep their values. Where the
Gaussian finds no valid pixel, the sigma is doubled and the fill repeated; whatever is still
empty at the end gets the mean valid depth.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bridgenet_ros.errors import DataError, ShapeError

__all__ = ["fill_holes", "gaussian_matrix"]

#: normalized-convolution weights below this count as "no valid neighbour".
_MIN_WEIGHT = 1e-6


@lru_cache(maxsize=32)
def gaussian_matrix(size: int, sigma: float) -> np.ndarray:
    """``(size, size)`` float64 banded Gaussian matrix (truncated at 3 sigma), read-only.

    Multiplying an axis by it convolves that axis with an un-normalized Gaussian whose taps
    outside the image are dropped.
    """
    idx = np.arange(size, dtype=np.float64)
    dist = idx[:, None] - idx[None, :]
    weights = np.exp(-0.5 * (dist / sigma) ** 2)
    weights[np.abs(dist) > 3.0 * sigma + 0.5] = 0.0
    weights.setflags(write=False)
    return weights


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    gy = gaussian_matrix(image.shape[0], sigma)
    gx = gaussian_matrix(image.shape[1], sigma)
    return gy @ image @ gx.T


def fill_holes(
    depth: np.ndarray, mask: np.ndarray, sigma_px: float = 1.5, max_iterations: int = 6
) -> np.ndarray:
    """Fill invalid pixels of a depth map by normalized convolution.

    Args:
        depth: ``(h, w)`` depth (metres or raw units); values under ``~mask`` are ignored.
        mask: ``(h, w)`` bool, True where ``depth`` is valid.
        sigma_px: initial Gaussian sigma in pixels.
        max_iterations: how many times the sigma may be doubled while holes remain.

    Returns:
        ``(h, w)`` float32 finite depth; equal to ``depth`` where ``mask`` is True.

    Raises:
        ShapeError: if shapes differ or the map is not 2-D.
        DataError: if no pixel is valid (the caller must handle all-invalid frames).
    """
    if depth.ndim != 2 or mask.shape != depth.shape:
        raise ShapeError(
            f"fill_holes expects a 2-D depth and a mask of the same shape, got {depth.shape} "
            f"and {mask.shape}"
        )
    if not mask.any():
        raise DataError("fill_holes: no valid pixel to fill from (all 0/NaN/inf)")
    masked = np.where(mask, depth, 0.0)
    out = masked.astype(np.float32)  # always a copy: filled in place below
    if mask.all():
        return out
    values = masked.astype(np.float64, copy=False)
    weights = mask.astype(np.float64)
    holes = ~mask
    sigma = float(sigma_px)
    for _ in range(max_iterations + 1):
        num = _blur(values, sigma)
        den = _blur(weights, sigma)
        ok = holes & (den > _MIN_WEIGHT)
        out[ok] = (num[ok] / den[ok]).astype(np.float32)
        holes &= ~ok
        if not holes.any():
            return out
        sigma *= 2.0
    out[holes] = np.float32(values[mask].mean())
    return out
