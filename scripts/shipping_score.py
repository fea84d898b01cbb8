#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compute the issue-12 shipping score A of checkpoints (docs/results.md, "Issue-12 campaign").

A = mean RMSE (cm) over RGB-D-D validation (all 33 frames, crop 6) at x4/x8/x16, clean bicubic
LR and ToF-noisy LR (config/sensor_model_tof.yaml, seed 0). Bicubic is scored beside them.

    python scripts/shipping_score.py --model models/bridgenet_lite.pt \
        --model campaign/lite_hr/best.pt
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bridgenet_ros.data.degradation import load_sensor_model
from bridgenet_ros.eval.evaluate import ModelMethod, evaluate_frames, load_eval_frames
from bridgenet_ros.runtime.backends.graph_runner import build_runtime_pipeline

SCALES = (4.0, 8.0, 16.0)
REPO = Path(__file__).resolve().parents[1]


def score(models: list[str], limit: int | None) -> dict[str, dict[str, float]]:
    """RMSE (cm) per method and protocol (``clean_x4`` ...), plus ``A`` (their mean)."""
    methods = [
        ModelMethod(f"{i}:{Path(m).stem}", build_runtime_pipeline("torch", m))
        for i, m in enumerate(models)
    ]
    tof = load_sensor_model(REPO / "config" / "sensor_model_tof.yaml")
    table: dict[str, dict[str, float]] = {}
    for protocol, sensor in (("clean", None), ("noisy", tof)):
        for scale in SCALES:
            frames, _ = load_eval_frames(
                "rgbdd", scale=scale, split="val", limit=limit, sensor_model=sensor
            )
            report = evaluate_frames(frames, methods, baselines=("bicubic",), scale=scale, crop=6)
            for name, means in report.methods.items():
                table.setdefault(name, {})[f"{protocol}_x{scale:g}"] = 100.0 * means["rmse"]
    for row in table.values():
        row["A"] = sum(row.values()) / len(row)
    return table


def main() -> None:
    """Print one row per method (cm) and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="checkpoint (.pt); repeat")
    parser.add_argument("--limit", type=int, default=None, help="frames (default: all 33)")
    args = parser.parse_args()
    table = score(args.model, args.limit)
    for name, row in table.items():
        print(f"{name:40s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))
    print(json.dumps(table))


if __name__ == "__main__":
    main()
