# SPDX-License-Identifier: Apache-2.0
"""Preview grids of a data source: one row per frame, RGB | LR | GT, with colour bars.

Used by ``bridgenet data preview``. The LR column is the LR map the network would get (real LR
when the source has it, else :func:`~.degradation.bicubic_downsample`), shown with nearest
up-sampling so its pixels stay visible. LR and GT share one colour scale per row (2nd-98th
percentile of the valid GT); invalid pixels are drawn black.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from bridgenet_ros.data.degradation import bicubic_downsample
from bridgenet_ros.data.folders import NAMED_SETS, RGBDFolder, RGBDSample, open_named_set
from bridgenet_ros.data.synthetic import SyntheticScenes
from bridgenet_ros.errors import DataError
from bridgenet_ros.runtime.normalize import valid_mask

__all__ = ["load_preview_frames", "render_preview"]


def load_preview_frames(
    data: str,
    n: int,
    *,
    data_root: str | Path | None = None,
    depth_scale: float | str | None = 0.001,
    lr_subdir: str | None = None,
    seed: int = 0,
    size_hw: tuple[int, int] = (240, 320),
) -> list[RGBDSample]:
    """Pick ``n`` frames, evenly spread, from ``synthetic``, a named set, a folder or a ``.mat``.

    Args:
        data: ``synthetic``, a name of :data:`NAMED_SETS`, a folder-format directory or an NYU
            v2 labelled ``.mat`` file.
        n: number of frames (>= 1).
        data_root: root of the named sets (default ``../shared/data``).
        depth_scale: unit of a folder's depth files (metres per value or unit name).
        lr_subdir: real LR sub-folder of a folder set.
        seed: synthetic seed.
        size_hw: synthetic frame size.

    Returns:
        The frames.

    Raises:
        DataError: unknown source or unreadable frames.
    """
    if n < 1:
        raise DataError(f"--n must be >= 1, got {n}")
    if data == "synthetic":
        scenes = SyntheticScenes(seed, size_hw[0], size_hw[1])
        frames = []
        for i in range(n):
            frame = scenes[i]
            frames.append(RGBDSample(f"synthetic {seed}/{i}", frame.rgb, frame.depth, None, ""))
        return frames
    source: Sequence[RGBDSample]
    if data in NAMED_SETS:
        source = open_named_set(data, data_root)
    elif Path(data).is_file() and Path(data).suffix.lower() == ".mat":
        from bridgenet_ros.data.nyu_mat import NYUv2Mat

        source = NYUv2Mat(data)
    elif Path(data).is_dir():
        source = RGBDFolder(data, depth_scale, lr_subdir)
    else:
        raise DataError(
            f"--data {data!r} is neither 'synthetic', a named set ({', '.join(NAMED_SETS)}), a "
            "folder-format directory nor an NYU v2 .mat file"
        )
    picks = np.unique(np.linspace(0, len(source) - 1, min(n, len(source))).round().astype(int))
    return [source[int(i)] for i in picks]


def render_preview(
    frames: Sequence[RGBDSample], scale: float, out: str | Path, *, title: str = ""
) -> Path:
    """Write the RGB | LR | GT grid of ``frames`` to a PNG.

    Args:
        frames: frames to show (one row each).
        scale: down-sampling factor for frames without real LR depth.
        out: output ``.png`` path (parent folders are created).
        title: figure title.

    Returns:
        The written path.

    Raises:
        DataError: if a frame has no valid depth.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = len(frames)
    h, w = frames[0].depth_hr.shape
    col_w = 3.2
    fig, axes = plt.subplots(
        rows,
        3,
        figsize=(3 * col_w + 0.8, rows * col_w * h / w + 0.6),
        squeeze=False,
        constrained_layout=True,
    )
    cmap = matplotlib.colormaps["turbo"].copy()
    cmap.set_bad("black")
    for row, frame in enumerate(frames):
        gt = frame.depth_hr
        mask = valid_mask(gt)
        if not mask.any():
            raise DataError(f"{frame.name}: depth has no valid pixel; nothing to preview")
        if frame.depth_lr is not None:
            lr = frame.depth_lr
            label = f"real LR {lr.shape[1]}x{lr.shape[0]} (x{gt.shape[0] / lr.shape[0]:.2f})"
        else:
            lr = bicubic_downsample(gt, scale)
            label = f"bicubic LR {lr.shape[1]}x{lr.shape[0]} (x{scale:g})"
        lo, hi = np.percentile(gt[mask], [2, 98])
        if hi <= lo:
            hi = lo + 1e-3
        unit = "m" if frame.metric else "raw units (larger = nearer)"
        axes[row, 0].imshow(frame.rgb)
        axes[row, 0].set_title(f"RGB {frame.name}", fontsize=8)
        lr_shown = np.where(valid_mask(lr), lr, np.nan)
        axes[row, 1].imshow(
            lr_shown,
            cmap=cmap,
            vmin=lo,
            vmax=hi,
            interpolation="nearest",
            extent=(0, gt.shape[1], gt.shape[0], 0),
        )
        axes[row, 1].set_title(label, fontsize=8)
        image = axes[row, 2].imshow(
            np.where(mask, gt, np.nan), cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest"
        )
        axes[row, 2].set_title(f"GT {gt.shape[1]}x{gt.shape[0]}", fontsize=8)
        bar = fig.colorbar(image, ax=axes[row, 2], fraction=0.046, pad=0.02)
        bar.set_label(unit, fontsize=7)
        bar.ax.tick_params(labelsize=7)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(out, dpi=72)
    plt.close(fig)
    return out
