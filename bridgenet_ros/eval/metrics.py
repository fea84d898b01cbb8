# SPDX-License-Identifier: Apache-2.0
"""Depth super-resolution metrics (numpy): RMSE, MAE, MAD, δ<1.25, AbsRel with a border crop.

Conventions (the literature's, stated once here):

- ``rmse``, ``mae``, ``delta1``, ``absrel`` are computed over the *valid* ground-truth pixels
  (finite and > 0) inside the border crop.
- ``mad`` (the BridgeNet paper's Middlebury metric, "mean absolute difference") uses *all*
  pixels inside the crop whose ground truth and prediction are finite — holes marked 0 count.
- All values are in the unit of the arrays passed in (multiply by a depth scale beforehand to
  report centimetres); ``delta1`` and ``absrel`` are unit-less.
- A non-finite prediction on a valid pixel counts as an error: metrics become ``nan`` rather
  than silently ignoring the pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bridgenet_ros.errors import ShapeError

__all__ = ["METRIC_NAMES", "DepthMetrics", "MetricAccumulator", "compute_metrics", "crop_border"]

#: metric names in the order of tables and JSON files
METRIC_NAMES: tuple[str, ...] = ("rmse", "mae", "mad", "delta1", "absrel")


@dataclass(frozen=True)
class DepthMetrics:
    """Metrics of one image (or a mean over images).

    Attributes:
        rmse: root-mean-square error over valid pixels, in the depth unit.
        mae: mean absolute error over valid pixels, in the depth unit.
        mad: mean absolute difference over all (finite) pixels, in the depth unit.
        delta1: fraction of valid pixels with ``max(pred/gt, gt/pred) < 1.25`` (0..1).
        absrel: mean ``|pred - gt| / gt`` over valid pixels (unit-less).
        n_valid: number of valid pixels the metrics used.
    """

    rmse: float
    mae: float
    mad: float
    delta1: float
    absrel: float
    n_valid: int

    def as_dict(self) -> dict[str, float]:
        """The five metrics as a ``{name: value}`` mapping (``METRIC_NAMES`` order)."""
        return {name: float(getattr(self, name)) for name in METRIC_NAMES}


def crop_border(array: np.ndarray, crop: int) -> np.ndarray:
    """Remove ``crop`` pixels from each border of an ``(H, W)`` or ``(H, W, C)`` array.

    Raises:
        ShapeError: if the crop is negative or would leave nothing.
    """
    if crop < 0:
        raise ShapeError(f"border crop must be >= 0 pixels, got {crop}")
    if crop == 0:
        return array
    height, width = array.shape[:2]
    if 2 * crop >= height or 2 * crop >= width:
        raise ShapeError(
            f"border crop of {crop} px leaves nothing of a {height}x{width} image; use a smaller"
            " --crop"
        )
    return array[crop : height - crop, crop : width - crop]


def compute_metrics(
    pred: np.ndarray, gt: np.ndarray, crop: int = 0, mask: np.ndarray | None = None
) -> DepthMetrics:
    """Compare a predicted depth map with the ground truth.

    Args:
        pred: ``(H, W)`` predicted depth, any unit (the same as ``gt``).
        gt: ``(H, W)`` ground-truth depth; 0 / NaN / inf mark invalid pixels.
        crop: pixels removed from each border before scoring (literature: 6).
        mask: optional ``(H, W)`` bool mask of pixels to score at all (e.g. the pixels where
            every compared method gives a finite output); applied to every metric.

    Returns:
        The metrics; all ``nan`` (and ``n_valid == 0``) if no ground-truth pixel is valid.

    Raises:
        ShapeError: if the shapes differ or are not 2-D, or the crop is too large.
    """
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ShapeError(
            f"prediction {pred.shape} and ground truth {gt.shape} must be equal (H, W) shapes"
        )
    if mask is not None and mask.shape != gt.shape:
        raise ShapeError(f"mask {mask.shape} must have the ground truth's shape {gt.shape}")
    p = crop_border(np.asarray(pred, dtype=np.float64), crop)
    g = crop_border(np.asarray(gt, dtype=np.float64), crop)

    finite_gt = np.isfinite(g)
    if mask is not None:
        finite_gt &= crop_border(np.asarray(mask, dtype=bool), crop)
    mad = float(np.mean(np.abs(p[finite_gt] - g[finite_gt]))) if finite_gt.any() else math.nan

    valid = finite_gt & (g > 0)
    n_valid = int(valid.sum())
    if n_valid == 0:
        return DepthMetrics(math.nan, math.nan, mad, math.nan, math.nan, 0)
    pv = p[valid]
    gv = g[valid]
    diff = pv - gv
    rmse = float(np.sqrt(np.mean(diff**2)))
    mae = float(np.mean(np.abs(diff)))
    absrel = float(np.mean(np.abs(diff) / gv))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(pv / gv, gv / pv)
    # a non-positive prediction can never be within 25 %; a NaN prediction poisons the score
    ratio = np.where(pv > 0, ratio, np.inf)
    ratio = np.where(np.isnan(pv), np.nan, ratio)
    delta1 = float(np.mean(ratio < 1.25)) if np.all(np.isfinite(pv)) else math.nan
    return DepthMetrics(rmse, mae, mad, delta1, absrel, n_valid)


@dataclass
class MetricAccumulator:
    """Mean of per-image metrics (the literature averages per image, not per pixel).

    Images without any valid pixel are skipped for ``rmse``/``mae``/``delta1``/``absrel``.
    """

    values: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in METRIC_NAMES})
    n_images: int = 0

    def add(self, metrics: DepthMetrics) -> None:
        """Add one image's metrics."""
        self.n_images += 1
        for name, value in metrics.as_dict().items():
            if metrics.n_valid > 0 or name == "mad":
                self.values[name].append(value)

    def mean(self) -> dict[str, float]:
        """Per-image mean of each metric (``nan`` where no image contributed)."""
        return {
            name: (float(np.mean(vals)) if vals else math.nan)
            for name, vals in self.values.items()
        }
