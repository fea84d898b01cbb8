# SPDX-License-Identifier: Apache-2.0
"""Evaluation frames with the RGB guidance taken away or swapped (issue 12: does the RGB help?).

Used by ``scripts/rgb_guidance_probe.py`` and the shipped-model test that holds the network to
"no worse than bicubic when the RGB gives no evidence".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from bridgenet_ros.eval.evaluate import EvalFrame
from bridgenet_ros.runtime.resize import resize

__all__ = ["flat_rgb_frames", "shuffled_rgb_frames"]


def flat_rgb_frames(frames: Sequence[EvalFrame]) -> list[EvalFrame]:
    """The frames with each ``(H, W, 3)`` uint8 RGB replaced by its mean colour (no edges)."""
    return [
        dataclasses.replace(f, rgb=np.full_like(f.rgb, f.rgb.mean((0, 1)).astype(np.uint8)))
        for f in frames
    ]


def shuffled_rgb_frames(frames: Sequence[EvalFrame]) -> list[EvalFrame]:
    """The frames with the RGB of the next frame (wrong guidance), resized to fit if needed."""
    out = []
    for i, frame in enumerate(frames):
        other = frames[(i + 1) % len(frames)].rgb
        if other.shape[:2] != frame.rgb.shape[:2]:
            resized = resize(other.astype(np.float32), frame.rgb.shape[:2], "bilinear")
            other = np.clip(resized, 0, 255).astype(np.uint8)
        out.append(dataclasses.replace(frame, rgb=other))
    return out
