#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""The RMSE floor a residual dead band puts under any model (issue 12: what limits accuracy).

A model with ``residual_deadband = t`` cannot make a correction smaller than ``t`` times the
frame's LR depth span (larger ones it can pre-compensate), so even a perfect network leaves the
bicubic residual ``e = gt - bicubic`` wherever ``|e| <= t * span``. This prints, per scale, the
mean per-frame RMSE of bicubic and of that floor (RGB-D-D validation frames, crop 6), so the dead
band's cost can be compared with the model's remaining error.

    python scripts/deadband_floor.py --deadband 0.003 --scales 4 8 16
"""

from __future__ import annotations

import argparse

import numpy as np

from bridgenet_ros.eval.baselines import PassThroughBackend
from bridgenet_ros.eval.evaluate import load_eval_frames
from bridgenet_ros.eval.metrics import crop_border
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline


def frame_rmse(
    pipeline: DepthSRPipeline,
    rgb: np.ndarray,
    depth_hr: np.ndarray,
    depth_lr: np.ndarray,
    deadband: float,
    crop: int,
) -> tuple[float, float]:
    """(bicubic RMSE, dead-band floor RMSE) of one frame in the depth unit; NaN/0 = invalid.

    Bicubic and the LR range are the pipeline's own (``depth_lr_up``, ``depth_range``): the
    bicubic baseline of ``bridgenet eval`` and the span the model's corrections are scaled by.
    """
    result = pipeline.run(rgb, depth_lr)
    if result.depth_range is None:
        raise ValueError("the LR map has no valid pixel")
    gt = crop_border(depth_hr, crop)
    up = crop_border(result.depth_lr_up, crop)
    ok = np.isfinite(gt) & (gt > 0) & np.isfinite(up)
    threshold = deadband * result.depth_range.span
    residual = (gt - up)[ok]
    kept = np.where(np.abs(residual) <= threshold, residual, 0.0)
    return float(np.sqrt(np.mean(residual**2))), float(np.sqrt(np.mean(kept**2)))


def main() -> None:
    """Print bicubic and floor RMSE (cm) per scale."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadband", type=float, default=0.003)
    parser.add_argument("--scales", type=float, nargs="+", default=[4, 8, 16])
    parser.add_argument("--crop", type=int, default=6)
    args = parser.parse_args()
    pipeline = DepthSRPipeline(PassThroughBackend(), RuntimeConfig())
    for scale in args.scales:
        frames, _ = load_eval_frames("rgbdd", scale=scale, split="val")
        pairs = [
            frame_rmse(pipeline, f.rgb, f.depth_hr, f.depth_lr, args.deadband, args.crop)
            for f in frames
        ]
        bicubic, floor = np.mean(pairs, axis=0) * 100.0
        print(f"x{scale:g}: {len(frames)} frames, bicubic {bicubic:.3f} cm, floor {floor:.3f} cm")


if __name__ == "__main__":
    main()
