# SPDX-License-Identifier: Apache-2.0
"""Latency, rate and accuracy statistics of a replay (numpy only)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = [
    "depth_errors",
    "latency_summary",
    "percentile",
    "rate_and_jitter",
]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation, numpy's default); NaN when empty."""
    if len(values) == 0:
        return math.nan
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """``mean``, ``p50``, ``p90``, ``p99``, ``max`` and ``min`` of latencies in milliseconds.

    Every value is NaN when ``values_ms`` is empty (JSON writes them as ``null``).
    """
    arr = np.asarray(values_ms, dtype=np.float64)
    if arr.size == 0:
        return {k: math.nan for k in ("mean", "p50", "p90", "p99", "max", "min")}
    return {
        "mean": float(arr.mean()),
        "p50": float(np.percentile(arr, 50)),
        "p90": float(np.percentile(arr, 90)),
        "p99": float(np.percentile(arr, 99)),
        "max": float(arr.max()),
        "min": float(arr.min()),
    }


def rate_and_jitter(times_s: Sequence[float]) -> dict[str, float]:
    """Output rate and jitter of a stream of arrival times, as NVIDIA's ros2_benchmark reports.

    Jitter is the absolute difference between consecutive inter-arrival intervals.

    Args:
        times_s: arrival times in seconds, ascending.

    Returns:
        ``rate_hz`` (``(n - 1) / (last - first)``), ``jitter_mean_ms``, ``jitter_max_ms``,
        ``jitter_std_ms``; NaN where there are too few arrivals.
    """
    t = np.asarray(times_s, dtype=np.float64)
    out = {
        "rate_hz": math.nan,
        "jitter_mean_ms": math.nan,
        "jitter_max_ms": math.nan,
        "jitter_std_ms": math.nan,
    }
    if t.size >= 2 and t[-1] > t[0]:
        out["rate_hz"] = float((t.size - 1) / (t[-1] - t[0]))
    if t.size >= 3:
        jitter_ms = np.abs(np.diff(np.diff(t))) * 1000.0
        out["jitter_mean_ms"] = float(jitter_ms.mean())
        out["jitter_max_ms"] = float(jitter_ms.max())
        out["jitter_std_ms"] = float(jitter_ms.std())
    return out


def depth_errors(pred: np.ndarray, gt: np.ndarray) -> tuple[float, float, int]:
    """RMSE and MAE of ``pred`` against ``gt`` over pixels valid in both.

    Args:
        pred: ``(H, W)`` predicted depth (NaN/0 invalid), metres.
        gt: ``(H, W)`` ground truth (NaN/0 invalid), metres.

    Returns:
        ``(rmse, mae, n_valid)``; NaN errors when no pixel is valid in both.
    """
    mask = np.isfinite(pred) & np.isfinite(gt) & (gt > 0) & (pred > 0)
    n = int(mask.sum())
    if n == 0:
        return math.nan, math.nan, 0
    diff = pred[mask].astype(np.float64) - gt[mask].astype(np.float64)
    return float(np.sqrt(np.mean(diff * diff))), float(np.mean(np.abs(diff))), n
