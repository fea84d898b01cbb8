#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print how far each LR map sits from its ground truth (best global shift, HR pixels).

Usage:
    python scripts/misregistration.py --data rgbdd_realscene --lr-dir lr [--max-shift 8]

The LR map is hole-filled and bicubic-upsampled exactly as the pipeline does, then
:func:`bridgenet_ros.eval.misregistration.best_global_shift` grid-searches the translation
that minimises its RMSE against the ground truth (unit of ``--depth-scale``; default metres).
``dy``/``dx`` move the LR map onto the ground truth (positive = down/right): ``dy = -4`` means
the sensor sees everything 4 pixels lower than the RGB does.
"""

from __future__ import annotations

import argparse

from bridgenet_ros.eval.evaluate import load_eval_frames
from bridgenet_ros.eval.misregistration import best_global_shift
from bridgenet_ros.runtime.pipeline import upsample_depth_lr


def main() -> int:
    """Parse the arguments, fit each image, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="named set or folder with rgb/ depth/ LR/")
    parser.add_argument("--lr-dir", default="lr", help="sub-folder of real LR maps (default lr)")
    parser.add_argument("--depth-scale", type=float, default=None, help="as bridgenet eval")
    parser.add_argument("--max-shift", type=float, default=8.0, help="HR pixels per axis")
    parser.add_argument("--step", type=float, default=1.0, help="grid step, HR pixels")
    parser.add_argument("--crop", type=int, default=8, help="border crop (>= --max-shift)")
    args = parser.parse_args()
    frames, unit = load_eval_frames(
        args.data, scale=None, lr_dir=args.lr_dir, depth_scale=args.depth_scale
    )
    print(f"{'image':<24} {'dy':>6} {'dx':>6} {'rmse':>9} {'unshifted':>10}  ({unit}, HR px)")
    for frame in frames:
        depth_lr_up, _ = upsample_depth_lr(frame.depth_lr, frame.depth_hr.shape)
        fit = best_global_shift(
            depth_lr_up,
            frame.depth_hr,
            max_shift_px=args.max_shift,
            step_px=args.step,
            crop=args.crop,
        )
        print(
            f"{frame.name:<24} {fit.dy:>6.1f} {fit.dx:>6.1f} {fit.rmse:>9.3f} "
            f"{fit.rmse_unshifted:>10.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
