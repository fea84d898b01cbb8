#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measure how much a model's output depends on its RGB input (issue 12: do the bridges help).

Scores a checkpoint on RGB-D-D validation frames three ways, side by side with bicubic:
``rgb`` (the real image), ``flat`` (each frame's RGB replaced by its mean colour: no guidance at
all) and ``shuffled`` (the RGB of another validation frame: wrong guidance). If ``flat`` scores
as well as ``rgb``, the network does not use the RGB; if it scores better, the guidance hurts.

    python scripts/rgb_guidance_probe.py --model models/bridgenet_lite.pt --scales 4 8 16
"""

from __future__ import annotations

import argparse
import json

from bridgenet_ros.data.degradation import load_sensor_model
from bridgenet_ros.eval.evaluate import ModelMethod, evaluate_frames, load_eval_frames
from bridgenet_ros.eval.guidance import flat_rgb_frames, shuffled_rgb_frames
from bridgenet_ros.runtime.backends.graph_runner import build_runtime_pipeline


def _variants(frames: list) -> dict[str, list]:
    return {
        "rgb": frames,
        "flat": flat_rgb_frames(frames),
        "shuffled": shuffled_rgb_frames(frames),
    }


def main() -> None:
    """Print bicubic and the model with real, flat and shuffled RGB per scale (metric, unit)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/bridgenet_lite.pt")
    parser.add_argument("--scales", type=float, nargs="+", default=[4.0, 8.0, 16.0])
    parser.add_argument("--limit", type=int, default=33)
    parser.add_argument("--sensor-model", default="")
    parser.add_argument("--data", default="rgbdd", help="named set (its validation split)")
    parser.add_argument("--metric", default="rmse", choices=["rmse", "mae", "mad"])
    parser.add_argument(
        "--register-gt",
        action="store_true",
        help="secondary protocol: each frame's HR depth moved onto its RGB first (the training"
        " rule of data.registration); the LR is made from the moved depth",
    )
    args = parser.parse_args()
    pipeline = build_runtime_pipeline("torch", args.model)
    sensor = load_sensor_model(args.sensor_model) if args.sensor_model else None
    table: dict[str, dict[str, float]] = {}
    for scale in args.scales:
        frames, unit = load_eval_frames(
            args.data,
            scale=scale,
            split="val",
            limit=args.limit,
            sensor_model=sensor,
            register_gt=args.register_gt,
        )
        row: dict[str, float] = {}
        for name, variant in _variants(frames).items():
            report = evaluate_frames(
                variant, [ModelMethod(name, pipeline)], baselines=("bicubic",), scale=scale
            )
            row[name] = report.methods[name][args.metric]
            row["bicubic"] = report.methods["bicubic"][args.metric]
        table[f"x{scale:g}"] = row
        print(
            f"x{scale:g} "
            + "  ".join(f"{k} {v:.4f}" for k, v in row.items())
            + f" ({args.metric}, {unit})"
        )
    print(json.dumps(table))


if __name__ == "__main__":
    main()
