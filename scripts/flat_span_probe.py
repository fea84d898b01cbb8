# SPDX-License-Identifier: Apache-2.0
"""Probe: does the model copy RGB texture onto a plane, and does the frame's depth range matter?

A tilted plane (2-2.5 m) textured with a real RGB-D-D photo; LR = bicubic down-sampling of the
plane (clean, or with z^2-scaled noise), optionally with one far object in a corner that
stretches the normalization range. Prints flat-area RMSE of the model and of bicubic against the
(noisy) plane and the RMS of (SR - bicubic). docs/architecture.md quotes its output.

    .venv/bin/python scripts/flat_span_probe.py [--model models/bridgenet_lite.onnx]
"""

from __future__ import annotations

import argparse

import numpy as np

from bridgenet_ros.data.folders import open_named_set
from bridgenet_ros.runtime.backends.factory import create_backend
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline
from bridgenet_ros.runtime.resize import resize

HEIGHT, WIDTH = 384, 512


def _rms_mm(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2)) * 1e3)


def main() -> None:
    """Run the probe and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/bridgenet_lite.onnx")
    args = parser.parse_args()
    pipe = DepthSRPipeline(create_backend("onnxruntime", args.model), RuntimeConfig())
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    plane = 2.0 + 0.3 * x / WIDTH + 0.2 * y / HEIGHT
    rgb = open_named_set("rgbdd")[50].rgb
    noise = np.random.default_rng(0).normal(0, 0.01, plane.shape).astype(np.float32)
    area = (slice(100, -10), slice(100, -10))
    for far in (None, 4.0, 9.0):
        for sigma in (0.0, 1.0):
            depth = plane.copy()
            if far is not None:
                depth[:40, :40] = far
            depth = depth + sigma * noise * (depth / 2) ** 2
            for scale in (4, 8):
                lr = resize(depth, (HEIGHT // scale, WIDTH // scale), "bicubic")
                out = pipe.run(rgb, lr)
                print(
                    f"far object {far} m, noise {10 * sigma:.0f} mm at 2 m, x{scale}: flat RMSE "
                    f"SR {_rms_mm((out.depth_sr - depth)[area]):.2f} / bicubic "
                    f"{_rms_mm((out.depth_lr_up - depth)[area]):.2f} mm, RMS(SR - bicubic) "
                    f"{_rms_mm((out.depth_sr - out.depth_lr_up)[area]):.2f} mm"
                )


if __name__ == "__main__":
    main()
