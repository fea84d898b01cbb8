#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compute the issue-12 shipping score A of checkpoints (docs/results.md, "Issue-12 campaign").

A = mean RMSE (cm) over RGB-D-D validation (all 33 frames, crop 6) at x4/x8/x16, clean bicubic
LR and ToF-noisy LR (config/sensor_model_tof.yaml, seed 0). Bicubic is scored beside them.
``--extra NAME=SENSOR.yaml`` scores more seeded sensor-model protocols at the same scales, reported
as ``NAME_x4`` ... and their mean ``NAME`` (not part of A).

    python scripts/shipping_score.py --model models/bridgenet_lite.pt \
        --model campaign/lite_hr/best.pt [--extra holes=config/sensor_model_tof_holes.yaml]
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


def score(
    models: list[str], limit: int | None, extra: dict[str, str] | None = None
) -> dict[str, dict[str, float]]:
    """RMSE (cm) per method and protocol (``clean_x4`` ...), and their means.

    ``A`` is the mean of the clean and noisy rows; each ``extra`` protocol adds its rows
    (``NAME_x4`` ...) and their mean under ``NAME``.
    """
    methods = [
        ModelMethod(f"{i}:{Path(m).stem}", build_runtime_pipeline("torch", m))
        for i, m in enumerate(models)
    ]
    tof = load_sensor_model(REPO / "config" / "sensor_model_tof.yaml")
    protocols = [("clean", None), ("noisy", tof)]
    protocols += [(name, load_sensor_model(path)) for name, path in (extra or {}).items()]
    table: dict[str, dict[str, float]] = {}
    for protocol, sensor in protocols:
        for scale in SCALES:
            frames, _ = load_eval_frames(
                "rgbdd", scale=scale, split="val", limit=limit, sensor_model=sensor
            )
            report = evaluate_frames(frames, methods, baselines=("bicubic",), scale=scale, crop=6)
            for name, means in report.methods.items():
                table.setdefault(name, {})[f"{protocol}_x{scale:g}"] = 100.0 * means["rmse"]
    for row in table.values():
        a_terms = [v for k, v in row.items() if k.startswith(("clean_", "noisy_"))]
        means = {"A": sum(a_terms) / len(a_terms)}
        for name in extra or {}:
            terms = [row[f"{name}_x{scale:g}"] for scale in SCALES]
            means[name] = sum(terms) / len(terms)
        row.update(means)
    return table


def main() -> None:
    """Print one row per method (cm) and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="checkpoint (.pt); repeat")
    parser.add_argument("--limit", type=int, default=None, help="frames (default: all 33)")
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=SENSOR.yaml",
        help="another sensor-model protocol, scored beside A (not part of it); repeat",
    )
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.extra)
    if any(not name or name in ("clean", "noisy", "A") for name in extra):
        parser.error("--extra needs NAME=SENSOR.yaml with a new NAME")
    table = score(args.model, args.limit, extra)
    for name, row in table.items():
        print(f"{name:40s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))
    print(json.dumps(table))


if __name__ == "__main__":
    main()
