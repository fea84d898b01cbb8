#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How holes look in LR depth: real sensors (self-down-sampled) against RGB-D-D + sensor models.

Per set and scale, the mean over frames of: invalid fraction, hole components (8-connected),
their mean size and how many have >= 4 LR pixels, and the fraction of valid LR pixels within 2
pixels of a hole (docs/architecture.md, "Coherent holes").

    python scripts/hole_stats.py --sensor config/sensor_model_tof.yaml \
        --sensor config/sensor_model_tof_holes.yaml
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

from bridgenet_ros.data.degradation import load_sensor_model
from bridgenet_ros.eval.evaluate import load_eval_frames
from bridgenet_ros.runtime.normalize import valid_mask

REAL_SETS = ("raw_sensor/redwood", "raw_sensor/tum")


def hole_stats(depth_lr: np.ndarray) -> dict[str, float]:
    """Statistics of one ``(h, w)`` LR map's holes (0/NaN/inf)."""
    hole = ~valid_mask(depth_lr)
    labels, count = ndimage.label(hole, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())[1:]
    near = ndimage.binary_dilation(hole, iterations=2) & ~hole
    return {
        "invalid": float(hole.mean()),
        "components": float(count),
        "mean_size": float(sizes.mean()) if count else 0.0,
        "components_ge4": float((sizes >= 4).sum()),
        "valid_near_hole": float(near.sum() / max((~hole).sum(), 1)),
    }


def _row(name: str, frames: list) -> None:
    rows = [hole_stats(f.depth_lr) for f in frames]
    means = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    print(f"{name:48s} " + "  ".join(f"{k} {v:.3g}" for k, v in means.items()))


def main() -> None:
    """Print one line per set, protocol and scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensor", action="append", default=[], help="sensor YAML; repeat")
    parser.add_argument("--scales", type=float, nargs="+", default=[4.0, 8.0])
    parser.add_argument("--limit", type=int, default=12, help="RGB-D-D training frames")
    args = parser.parse_args()
    for scale in args.scales:
        for data in REAL_SETS:
            frames, _ = load_eval_frames(data, scale=scale, real_sensor=True)
            _row(f"{data} x{scale:g} (self-down-sampled)", frames)
        for path in args.sensor:
            frames, _ = load_eval_frames(
                "rgbdd",
                scale=scale,
                split="train",
                limit=args.limit,
                sensor_model=load_sensor_model(path),
            )
            _row(f"rgbdd train x{scale:g} + {path.split('/')[-1]}", frames)


if __name__ == "__main__":
    main()
