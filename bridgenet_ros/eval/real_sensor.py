# SPDX-License-Identifier: Apache-2.0
"""Real-sensor protocol: self-down-sampled sensor depth, scored overall, on flat and edge regions.

A real camera's depth map (holes included) is its own reference: the LR input is made from it by
hole-aware down-sampling (:func:`self_downsample`), every method up-samples that LR map, and the
result is compared with the sensor's HR depth overall and on the regions of
:mod:`bridgenet_ros.eval.regions` (``flat``, ``edge``), found from the reference.

Hole-aware down-sampling (mask-weighted PIL resampling, :func:`bridgenet_ros.runtime.resize.
resize`): with ``m`` the validity of the HR map and ``K`` PIL's resampling weights of ``filter``
(``bicubic`` by default, as the literature's protocol and the issue-12 RealSense measurement;
``box`` = area average, closer to how a ToF pixel integrates),

``LR = K(z·m) / K(m)``

so holes never drag the kernel towards 0 (on a map without holes this *is* PIL's resize, exactly
the literature protocol). An LR pixel is invalid (0) when its HR footprint (PIL box weights) is
less than ``min_valid_fraction`` (default 0.5) valid, or when ``K(m) < min_kernel_weight``
(default 0.5: more than half of the kernel's weight fell on holes, where the negative bicubic
lobes would make the ratio unstable). Any factor >= 1 works, non-integer included; the LR size is
:func:`~bridgenet_ros.runtime.resize.lr_size_for_scale` (floor division).

The reference is the sensor's own noisy depth: a method that sharpens edges where the sensor
blurs them is punished there, so the ``flat`` score is the one that says whether a method makes
good depth worse (issue-12 target: ≤ 1.0× bicubic on flat regions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from bridgenet_ros.errors import ConfigError, DataError, ShapeError
from bridgenet_ros.eval.metrics import DepthMetrics, MetricAccumulator, compute_metrics
from bridgenet_ros.eval.regions import REGION_NAMES, RegionConfig, RegionMasks, compute_regions

__all__ = [
    "SCORED_REGIONS",
    "DownsampleFilter",
    "RegionScores",
    "score_frame",
    "score_regions",
    "self_downsample",
]

DownsampleFilter = Literal["bicubic", "box"]

#: regions scored by the protocol, in table order (``overall`` = every valid reference pixel)
SCORED_REGIONS: tuple[str, ...] = ("overall", *REGION_NAMES)


def self_downsample(
    depth_hr: np.ndarray,
    scale: float,
    *,
    method: DownsampleFilter = "bicubic",
    min_valid_fraction: float = 0.5,
    min_kernel_weight: float = 0.5,
) -> np.ndarray:
    """Hole-aware down-sampling of a sensor's own depth (module docstring: the definition).

    Args:
        depth_hr: ``(H, W)`` sensor depth, any unit; 0/NaN/inf invalid.
        scale: factor >= 1, may be non-integer.
        method: PIL filter, ``bicubic`` or ``box``.
        min_valid_fraction: least valid fraction of an LR pixel's HR footprint (0..1).
        min_kernel_weight: least kernel weight on valid pixels (0..1).

    Returns:
        ``(h, w)`` float32 LR depth, ``(h, w) = lr_size_for_scale(H, W, scale)``; invalid = 0.

    Raises:
        ShapeError: if ``depth_hr`` is not 2-D or ``scale`` is not a finite number >= 1.
        ConfigError: for an unknown filter or a fraction outside 0..1.
        DataError: if no HR pixel is valid.
    """
    from bridgenet_ros.runtime.normalize import valid_mask
    from bridgenet_ros.runtime.resize import lr_size_for_scale, resize

    if depth_hr.ndim != 2:
        raise ShapeError(f"self_downsample expects an (H, W) depth map, got {depth_hr.shape}")
    if not (math.isfinite(scale) and scale >= 1.0):
        raise ShapeError(f"scale factor must be a finite number >= 1, got {scale}")
    if method not in ("bicubic", "box"):
        raise ConfigError(f"unknown down-sampling filter {method!r}; use bicubic or box")
    if not (0.0 <= min_valid_fraction <= 1.0 and 0.0 <= min_kernel_weight <= 1.0):
        raise ConfigError(
            "min_valid_fraction and min_kernel_weight must lie in 0..1, got "
            f"{min_valid_fraction}, {min_kernel_weight}"
        )
    mask = valid_mask(depth_hr)
    if not mask.any():
        raise DataError("sensor depth has no valid pixel (all 0/NaN/inf): nothing to down-sample")
    size = lr_size_for_scale(depth_hr.shape[0], depth_hr.shape[1], scale)
    m = mask.astype(np.float32)
    z = np.where(mask, depth_hr, 0.0).astype(np.float32)
    weight = resize(m, size, method)
    support = resize(m, size, "box") if method != "box" else weight
    ok = (support >= min_valid_fraction - 1e-6) & (weight >= min_kernel_weight - 1e-6)
    ok &= weight > 1e-6
    out = np.zeros(size, dtype=np.float32)
    out[ok] = resize(z, size, method)[ok] / weight[ok]
    return out


@dataclass
class RegionScores:
    """Per-image means of each method's metrics on each region, over many frames.

    ``add`` one frame at a time; ``summary`` gives the means, the pixel fractions of each region
    and the RMSE/MAE ratios of every method to ``reference`` (normally ``bicubic``).
    """

    acc: dict[str, dict[str, MetricAccumulator]] = field(default_factory=dict)
    fractions: dict[str, list[float]] = field(default_factory=dict)

    def add(self, scores: Mapping[str, Mapping[str, DepthMetrics]], masks: RegionMasks) -> None:
        """Add one frame: ``scores[region][method]`` from :func:`score_regions`."""
        for region, by_method in scores.items():
            for method, metrics in by_method.items():
                self.acc.setdefault(region, {}).setdefault(method, MetricAccumulator())
                self.acc[region][method].add(metrics)
        for region, value in masks.fractions().items():
            self.fractions.setdefault(region, []).append(value)

    def summary(self, reference: str = "bicubic") -> dict[str, dict[str, object]]:
        """``{region: {"fraction": f, "methods": {m: metrics}, "ratio_to_<ref>": {m: {...}}}}``."""
        out: dict[str, dict[str, object]] = {}
        for region, by_method in self.acc.items():
            means = {m: {**a.mean(), "n_images": a.n_images} for m, a in by_method.items()}
            entry: dict[str, object] = {
                "fraction": float(np.mean(self.fractions.get(region, [math.nan]))),
                "methods": means,
            }
            if reference in means:
                ref = means[reference]
                entry[f"ratio_to_{reference}"] = {
                    m: {k: _ratio(v[k], ref[k]) for k in ("rmse", "mae")} for m, v in means.items()
                }
            out[region] = entry
        return out


def _ratio(value: float, ref: float) -> float:
    return value / ref if ref > 0 and math.isfinite(ref) else math.nan


def score_regions(
    preds: Mapping[str, np.ndarray],
    depth_ref: np.ndarray,
    masks: RegionMasks,
    *,
    crop: int = 0,
    common: np.ndarray | None = None,
    regions: Sequence[str] = SCORED_REGIONS,
) -> dict[str, dict[str, DepthMetrics]]:
    """Score every prediction on every region of one frame, on the same pixels.

    Args:
        preds: method name -> ``(H, W)`` prediction in the unit of ``depth_ref``.
        depth_ref: ``(H, W)`` reference (the sensor's own HR depth); 0/NaN invalid.
        masks: :func:`compute_regions` of ``depth_ref``.
        crop: border crop in pixels.
        common: ``(H, W)`` bool pixels to score at all (default: where every prediction is
            finite).
        regions: names of the regions (``flat``, ``edge``, ``rim``; ``overall`` = all valid).

    Returns:
        ``{region: {method: DepthMetrics}}``; metrics are NaN where a region has no pixel.

    Raises:
        ShapeError: if a prediction's shape differs from the reference's.
    """
    if common is None:
        common = np.ones(depth_ref.shape, dtype=bool)
        for pred in preds.values():
            if pred.shape != depth_ref.shape:
                raise ShapeError(
                    f"prediction {pred.shape} differs from reference {depth_ref.shape}"
                )
            common &= np.isfinite(pred)
    out: dict[str, dict[str, DepthMetrics]] = {}
    for region in regions:
        mask = common & masks.region(region)
        out[region] = {
            name: compute_metrics(pred, depth_ref, crop=crop, mask=mask)
            for name, pred in preds.items()
        }
    return out


def score_frame(
    region_scores: RegionScores,
    preds: Mapping[str, np.ndarray],
    depth_ref: np.ndarray,
    scale: float,
    *,
    crop: int,
    common: np.ndarray,
    config: RegionConfig,
) -> dict[str, Any]:
    """Score one frame on the regions of its reference and add it to ``region_scores``.

    The one per-frame step of the protocol, shared by ``bridgenet eval --real-sensor`` and
    ``bridgenet bench --downsample``: :func:`compute_regions` of ``depth_ref`` at ``scale``,
    then :func:`score_regions` on the ``common`` pixels.

    Args:
        region_scores: the running means (updated).
        preds: method name -> ``(H, W)`` prediction in the unit of ``depth_ref``.
        depth_ref: ``(H, W)`` reference; 0/NaN invalid.
        scale: the frame's down-sampling factor (sets the edge band and flat margin).
        crop: border crop in pixels.
        common: ``(H, W)`` bool pixels to score (normally: every prediction finite).
        config: region thresholds.

    Returns:
        The per-image entry: ``{region: {"fraction": f, method: {"rmse", "mae", "n"}}}``.
    """
    masks = compute_regions(depth_ref, max(float(scale), 1.0), config)
    scores = score_regions(preds, depth_ref, masks, crop=crop, common=common)
    region_scores.add(scores, masks)
    fractions = masks.fractions()
    return {
        region: {
            "fraction": fractions[region],
            **{m: {"rmse": v.rmse, "mae": v.mae, "n": v.n_valid} for m, v in by_method.items()},
        }
        for region, by_method in scores.items()
    }
