# SPDX-License-Identifier: Apache-2.0
"""Pictures of a replay: latency histogram and timeline, error per frame, contact sheet.

matplotlib with the non-interactive Agg backend (no display needed); each function writes one
PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bridgenet_ros.bench.replay import STAGES, FrameSample, ReplayResult

__all__ = ["contact_sheet", "error_per_frame", "latency_histogram", "latency_timeline"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, path: str | Path) -> Path:
    """Lay out, write and close a figure; return its path."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def latency_histogram(result: ReplayResult, path: str | Path) -> Path:
    """Histogram of the per-frame latency with p50/p90/p99 lines."""
    plt = _pyplot()
    lat = np.array([f.latency_ms for f in result.frames])
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.hist(lat, bins=min(40, max(5, lat.size // 2)), color="#4c72b0")
    for q, style in ((50, "-"), (90, "--"), (99, ":")):
        v = float(np.percentile(lat, q))
        ax.axvline(v, color="k", linestyle=style, label=f"p{q} {v:.1f} ms")
    ax.set_xlabel("latency per frame (ms): decode + pre + inference + post + encode")
    ax.set_ylabel("frames")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def latency_timeline(result: ReplayResult, path: str | Path) -> Path:
    """Stacked per-stage latency of every frame, in processing order."""
    plt = _pyplot()
    idx = np.array([f.index for f in result.frames])
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    bottom = np.zeros(idx.size)
    for stage in STAGES:
        values = np.array([f.stages_ms[stage] for f in result.frames])
        ax.bar(idx, values, bottom=bottom, width=1.0, label=stage)
        bottom += values
    ax.set_xlabel("frame")
    ax.set_ylabel("latency (ms)")
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _save(plt, fig, path)


def error_per_frame(result: ReplayResult, path: str | Path) -> Path:
    """RMSE of BridgeNet and of bicubic up-sampling per frame (metres)."""
    plt = _pyplot()
    scored = [f for f in result.frames if f.rmse is not None]
    idx = [f.index for f in scored]
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    ax.plot(idx, [f.rmse for f in scored], "o-", ms=3, label="BridgeNet RMSE")
    ax.plot(idx, [f.bicubic_rmse for f in scored], "s--", ms=3, label="bicubic RMSE")
    ax.set_xlabel("frame")
    ax.set_ylabel("RMSE (m)")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def _depth_limits(*maps: np.ndarray | None) -> tuple[float, float]:
    values = np.concatenate(
        [m[np.isfinite(m) & (m > 0)].ravel() for m in maps if m is not None] or [np.zeros(0)]
    )
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [1, 99])
    return float(lo), float(max(hi, lo + 1e-3))


def contact_sheet(samples: Sequence[FrameSample], path: str | Path) -> Path:
    """One row per sample: RGB | LR | SR | MDE | GT | error, colour bars in metres.

    Depth panels of a row share one colour scale (``turbo``, near = blue); the error panel
    shows ``|SR - GT|`` in metres (``magma``). Missing panels (no MDE head, no ground truth)
    say so.
    """
    plt = _pyplot()
    titles = ("RGB", "LR depth (input)", "BridgeNet SR", "MDE", "ground truth", "|SR - GT|")
    rows = max(1, len(samples))
    fig, axes = plt.subplots(rows, 6, figsize=(19, 2.9 * rows), dpi=80, squeeze=False)
    for r, s in enumerate(samples):
        lo, hi = _depth_limits(s.depth_lr, s.depth_gt, s.depth_sr)
        panels: list[tuple[np.ndarray | None, str]] = [
            (s.rgb, "rgb"),
            (s.depth_lr, "depth"),
            (s.depth_sr, "depth"),
            (s.depth_mde, "depth"),
            (s.depth_gt, "depth"),
            (np.abs(s.depth_sr - s.depth_gt) if s.depth_gt is not None else None, "error"),
        ]
        h, w = s.rgb.shape[:2]
        for c, (img, kind) in enumerate(panels):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=10)
            if c == 0:
                ax.set_ylabel(f"frame {s.index}", fontsize=9)
            if img is None:
                ax.text(0.5, 0.5, "n/a", ha="center", va="center", transform=ax.transAxes)
                continue
            extent = (0, w, h, 0)
            if kind == "rgb":
                ax.imshow(img, extent=extent)
                continue
            masked = np.ma.masked_invalid(np.where(img > 0, img, np.nan))
            if kind == "depth":
                im = ax.imshow(
                    masked, cmap="turbo", vmin=lo, vmax=hi, extent=extent, interpolation="nearest"
                )
            else:
                finite = img[np.isfinite(img)]
                top = float(np.percentile(finite, 99)) if finite.size else 1.0
                im = ax.imshow(
                    np.ma.masked_invalid(img),
                    cmap="magma",
                    vmin=0.0,
                    vmax=max(top, 1e-3),
                    extent=extent,
                    interpolation="nearest",
                )
            bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
            bar.set_label("m", fontsize=8)
            bar.ax.tick_params(labelsize=7)
    return _save(plt, fig, path)
