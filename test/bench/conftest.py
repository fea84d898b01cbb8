# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the bench tests: an isolated ROS domain, a tiny checkpoint, tiny bags."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from bridgenet_ros.bench.bag_writer import BagFrame, BagWriteOptions, write_bag

# A random DDS domain per test session so live tests do not hear other engineers' nodes.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))

HEIGHT, WIDTH, SCALE = 96, 128, 4


def make_frames(n: int, seed: int = 0) -> list[BagFrame]:
    """``n`` tiny synthetic frames (96x128 RGB, x4 LR, GT)."""
    from bridgenet_ros.data.degradation import bicubic_downsample
    from bridgenet_ros.data.synthetic import SyntheticScenes

    scenes = SyntheticScenes(seed=seed, height=HEIGHT, width=WIDTH, length=n)
    frames = []
    for i in range(n):
        f = scenes[i]
        frames.append(BagFrame(f.rgb, bicubic_downsample(f.depth, SCALE), f.depth, f.K))
    return frames


@pytest.fixture(scope="session")
def tiny_frames() -> list[BagFrame]:
    """Six synthetic frames shared by the tests."""
    return make_frames(6)


@pytest.fixture(scope="session")
def bag_factory(
    tmp_path_factory: pytest.TempPathFactory, tiny_frames: list[BagFrame]
) -> Callable[..., Path]:
    """Write the tiny frames into a new bag: ``bag_factory(storage="sqlite3", **options)``."""

    def make(storage: str = "sqlite3", **options: object) -> Path:
        path = tmp_path_factory.mktemp("bag") / f"bag_{storage}"
        write_bag(path, tiny_frames, BagWriteOptions(storage=storage, **options))  # type: ignore[arg-type]
        return path

    return make


@pytest.fixture()
def flat_frames() -> Callable[[int], list[BagFrame]]:
    """Frames of a constant scene (cheap, for bad-bag tests that never run the model)."""

    def make(n: int) -> list[BagFrame]:
        k = np.array([[100.0, 0, 63.5], [0, 100.0, 47.5], [0, 0, 1]])
        return [
            BagFrame(
                np.full((HEIGHT, WIDTH, 3), 40 * i % 255, np.uint8),
                np.full((HEIGHT // SCALE, WIDTH // SCALE), 2.0, np.float32),
                np.full((HEIGHT, WIDTH), 2.0, np.float32),
                k,
            )
            for i in range(n)
        ]

    return make
