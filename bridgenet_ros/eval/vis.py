# SPDX-License-Identifier: Apache-2.0
"""Comparison images of an evaluation: RGB | bicubic | ours | GT | |ours - GT| (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.eval.evaluate import EvalReport

__all__ = ["write_comparisons"]


def write_comparisons(
    report: EvalReport, out_dir: Path, ours: str, count: int = 2, metric: str = "rmse"
) -> list[Path]:
    """Write PNGs for the ``count`` best and worst images of method ``ours`` by ``metric``.

    Args:
        report: an evaluation run with ``keep_predictions=True``.
        out_dir: output folder (created).
        ours: the method shown in the third panel and ranked.
        count: images per end (best and worst).
        metric: ranking metric (lower is better).

    Returns:
        The written files, named ``best1_<name>.png``, ``worst1_<name>.png``...

    Raises:
        ConfigError: if predictions were not kept or ``ours`` is not a method.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not report.predictions:
        raise ConfigError("comparison images need evaluate_frames(..., keep_predictions=True)")
    if ours not in report.methods:
        raise ConfigError(f"method {ours!r} not in the report ({sorted(report.methods)})")
    scores = [img[ours][metric] for img in report.images]
    order = [i for i in np.argsort(scores) if np.isfinite(scores[i])]
    picks = [("best", i) for i in order[:count]] + [("worst", i) for i in order[::-1][:count]]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rank, (kind, i) in enumerate(picks):
        preds = report.predictions[i]
        gt = preds["gt"]
        valid = np.isfinite(gt) & (gt > 0)
        lo, hi = np.percentile(gt[valid], [1, 99]) if valid.any() else (0.0, 1.0)
        bicubic = preds.get("bicubic")
        panels: list[tuple[str, np.ndarray, str | None]] = [("RGB", preds["rgb"], None)]
        if bicubic is not None:
            panels.append(("bicubic", bicubic, "viridis"))
        panels += [(ours, preds[ours], "viridis"), ("GT", gt, "viridis")]
        err = np.abs(preds[ours] - gt)
        err[~valid] = np.nan
        fig, axes = plt.subplots(1, len(panels) + 1, figsize=(3.2 * (len(panels) + 1), 3.0))
        for ax, (title, image, cmap) in zip(axes, panels):
            if cmap is None:
                ax.imshow(image)
            else:
                ax.imshow(image, cmap=cmap, vmin=lo, vmax=hi)
            ax.set_title(title)
            ax.axis("off")
        emax = float(np.nanpercentile(err, 99)) if np.isfinite(err).any() else 1.0
        shown = axes[-1].imshow(err, cmap="magma", vmin=0.0, vmax=max(emax, 1e-6))
        axes[-1].set_title(f"|{ours} - GT| ({report.unit})")
        axes[-1].axis("off")
        fig.colorbar(shown, ax=axes[-1], fraction=0.046)
        name = report.images[i]["name"]
        fig.suptitle(f"{name}: {ours} {metric} {scores[i]:.4f} {report.unit}")
        fig.tight_layout()
        n = rank + 1 if kind == "best" else rank + 1 - min(count, len(order))
        path = out_dir / f"{kind}{n}_{name}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        written.append(path)
    return written
