#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How well a set's ground-truth depth is registered to its RGB, per group (issue 12).

For every frame, the runtime's shift estimator (``bridgenet_ros.runtime.align``, run on the HR
depth) gives the offset of the depth content against the RGB and its gain; the rule of
``data.registration`` (gain >= ``--min-gain``, inside the window) says whether training with
``register_to_rgb`` would move it. Prints one row per group (the capture day for RGB-D-D) with
its split, the median offset, the median and 90th percentile of its length, and the share of
frames that would move.

``--floor-scale S`` adds what the misregistration costs an image-guided method on the
validation protocol: the score (RMSE against the reference as recorded, crop 6) of the
*image-placed* output -- the reference moved onto its RGB, i.e. every depth edge exactly where
the image puts it -- beside bicubic xS, over all frames and over the frames that move.

    python scripts/gt_registration.py --data rgbdd [--floor-scale 4]
    python scripts/gt_registration.py --data middlebury
    python scripts/gt_registration.py --data my_dataset_folder --depth-scale 0.001
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from bridgenet_ros.data.degradation import bicubic_downsample, upsample_depth
from bridgenet_ros.data.folders import NAMED_SETS, RGBDFolder, open_named_set
from bridgenet_ros.data.registration import (
    DEFAULT_MAX_SHIFT_PX,
    DEFAULT_MIN_GAIN,
    register_depth_to_rgb,
)
from bridgenet_ros.eval.metrics import compute_metrics


@dataclass(frozen=True)
class GroupRow:
    """One group's registration figures (offsets in RGB pixels)."""

    group: str
    split: str
    frames: int
    median_dy: float
    median_dx: float
    median_length: float
    p90_length: float
    moved_share: float


def group_rows(
    folders: dict[str, RGBDFolder], max_shift_px: float, min_gain: float
) -> list[GroupRow]:
    """Registration figures per group of every split's folder (``{split: folder}``)."""
    rows = []
    for split, folder in folders.items():
        per_group: dict[str, list[tuple[float, float, bool]]] = {}
        for index in range(len(folder)):
            sample = folder[index]
            _, reg = register_depth_to_rgb(sample.rgb, sample.depth_hr, max_shift_px, min_gain)
            moved = reg.shift_px != (0, 0)
            per_group.setdefault(sample.group, []).append((*reg.estimate_px, moved))
        for group, values in sorted(per_group.items()):
            table = np.array(values, dtype=np.float64)
            length = np.hypot(table[:, 0], table[:, 1])
            rows.append(
                GroupRow(
                    group, split, len(table), float(np.median(table[:, 0])),
                    float(np.median(table[:, 1])), float(np.median(length)),
                    float(np.quantile(length, 0.9)), float(table[:, 2].mean()),
                )
            )  # fmt: skip
    return sorted(rows, key=lambda row: row.group)


def floor_scores(
    folder: RGBDFolder, scale: float, crop: int, max_shift_px: float, min_gain: float
) -> list[tuple[float, float, bool]]:
    """Per frame: (image-placed RMSE, bicubic ``scale`` RMSE, moved?) against the reference.

    The image-placed output is the reference registered to its RGB (``register_depth_to_rgb``);
    on a frame that does not move it equals the reference (RMSE 0). Both are scored by the eval's
    ``compute_metrics`` on the pixels the moved reference still covers. Units: the folder's depth.
    """
    scores = []
    for index in range(len(folder)):
        sample = folder[index]
        placed, reg = register_depth_to_rgb(sample.rgb, sample.depth_hr, max_shift_px, min_gain)
        hr = sample.depth_hr
        bicubic = upsample_depth(bicubic_downsample(hr, scale), hr.shape)
        covered = placed > 0
        placed_rmse = compute_metrics(placed, hr, crop, covered).rmse
        bicubic_rmse = compute_metrics(bicubic, hr, crop, covered).rmse
        scores.append((placed_rmse, bicubic_rmse, reg.shift_px != (0, 0)))
    return scores


def _print_floor(folder: RGBDFolder, scale: float, max_shift_px: float, min_gain: float) -> None:
    """Print the image-placed output's score beside bicubic (all frames, moved frames)."""
    table = np.array(floor_scores(folder, scale, 6, max_shift_px, min_gain), dtype=np.float64)
    moved = table[:, 2] > 0
    print(f"\nvalidation, crop 6, RMSE in the depth's unit; bicubic x{scale:g} beside")
    for name, rows in (("all frames", table), (f"moved ({int(moved.sum())})", table[moved])):
        if len(rows):
            print(
                f"{name:16s} image-placed {rows[:, 0].mean():.4f}  bicubic {rows[:, 1].mean():.4f}"
                f"  ratio {rows[:, 0].mean() / rows[:, 1].mean():.3f}"
            )


def _open(data: str, depth_scale: float, split: str) -> RGBDFolder:
    """A named set's or a folder's ``split`` (folders split by capture day, as training does)."""
    if data in NAMED_SETS:
        return open_named_set(data, split=split)  # type: ignore[arg-type]
    return RGBDFolder(data, depth_scale, split=split)  # type: ignore[arg-type]


def main() -> None:
    """Print the per-group table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="rgbdd", help="named set or rgb/ + depth/ folder")
    parser.add_argument("--depth-scale", type=float, default=0.001, help="folder: m per value")
    parser.add_argument("--max-shift-px", type=float, default=DEFAULT_MAX_SHIFT_PX)
    parser.add_argument("--min-gain", type=float, default=DEFAULT_MIN_GAIN)
    parser.add_argument("--floor-scale", type=float, help="also score the image-placed output")
    args = parser.parse_args()
    folders = {split: _open(args.data, args.depth_scale, split) for split in ("train", "val")}
    print("group           split  frames  median (dy, dx) px   |d| median  |d| p90  moved")
    for row in group_rows(folders, args.max_shift_px, args.min_gain):
        print(
            f"{row.group:15s} {row.split:5s} {row.frames:7d}  ({row.median_dy:+.2f}, "
            f"{row.median_dx:+.2f}){'':8s} {row.median_length:10.2f} {row.p90_length:8.2f}"
            f"  {row.moved_share:5.2f}"
        )
    if args.floor_scale:
        _print_floor(folders["val"], args.floor_scale, args.max_shift_px, args.min_gain)


if __name__ == "__main__":
    main()
