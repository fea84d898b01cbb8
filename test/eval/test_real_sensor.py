# SPDX-License-Identifier: Apache-2.0
"""Hole-aware self-down-sampling and region scoring of the real-sensor protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.data.degradation import bicubic_downsample
from bridgenet_ros.errors import ConfigError, DataError, ShapeError
from bridgenet_ros.eval.real_sensor import RegionScores, score_regions, self_downsample
from bridgenet_ros.eval.regions import compute_regions


def _ramp(h: int = 48, w: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (1.0 + 0.01 * x + 0.02 * y).astype(np.float32)


@pytest.mark.parametrize("scale", [4.0, 2.6667, 3.0])
def test_without_holes_equals_pil_bicubic(scale: float) -> None:
    depth = _ramp() + 0.5 * (np.arange(64) > 30).astype(np.float32)
    lr = self_downsample(depth, scale)
    h, w = bicubic_downsample(depth, scale).shape
    pil = np.asarray(Image.fromarray(depth, "F").resize((w, h), Image.Resampling.BICUBIC))
    assert lr.shape == (h, w)
    np.testing.assert_allclose(lr, pil, rtol=1e-5, atol=1e-5)


def test_holes_do_not_pull_values_and_unsupported_pixels_become_invalid() -> None:
    depth = np.full((48, 64), 2.0, dtype=np.float32)
    depth[:, 32:] = 3.0
    depth[8:24, 8:24] = 0.0  # a 16 px hole: four whole 4x4 LR pixels and more
    depth[30:34, 40:42] = np.nan  # half of one LR pixel's footprint
    lr = self_downsample(depth, 4.0)
    # fully covered LR pixels -> invalid (0); the partly covered one keeps the surface's value
    assert (lr[2:6, 2:6] == 0).all()
    assert lr[8, 10] == pytest.approx(3.0, abs=1e-5)
    # valid LR pixels next to the hole are not dragged towards 0 (literature's fill: nearest)
    left = lr[:, :6]  # the 2.0 surface around the hole, away from the step's bicubic ringing
    assert (left > 0).sum() == 12 * 6 - 16
    np.testing.assert_allclose(left[left > 0], 2.0, atol=1e-5)
    # box filter: the exact mean over the valid part of each footprint
    box = self_downsample(depth, 4.0, method="box")
    assert (box[2:6, 2:6] == 0).all() and box[8, 10] == pytest.approx(3.0)


def test_min_valid_fraction_threshold() -> None:
    depth = np.full((8, 8), 1.0, dtype=np.float32)
    depth[:4, :2] = 0  # half of the top-left 4x4 footprint
    assert self_downsample(depth, 4.0, method="box", min_valid_fraction=0.5)[0, 0] == 1.0
    assert self_downsample(depth, 4.0, method="box", min_valid_fraction=0.6)[0, 0] == 0.0


def test_bad_input() -> None:
    with pytest.raises(DataError):
        self_downsample(np.zeros((8, 8), np.float32), 2.0)
    with pytest.raises(ShapeError):
        self_downsample(np.ones((8, 8), np.float32), 0.5)
    with pytest.raises(ShapeError):
        self_downsample(np.ones((1, 8, 8), np.float32), 2.0)
    with pytest.raises(ConfigError):
        self_downsample(np.ones((8, 8), np.float32), 2.0, method="lanczos")  # type: ignore[arg-type]


def test_score_regions_and_ratios() -> None:
    ref = np.full((48, 64), 2.0, dtype=np.float32)
    ref[:, 32:] = 4.0
    masks = compute_regions(ref, 4.0)
    good = ref.copy()
    good[masks.edge] += 0.1  # errors only in the edge band
    bad = ref + 0.05  # errors everywhere
    bad[0, 0] = np.nan  # a pixel one method leaves out: no method is scored there
    scores = score_regions({"bicubic": good, "ours": bad}, ref, masks, crop=2)
    assert scores["flat"]["bicubic"].rmse == 0.0
    assert scores["flat"]["ours"].rmse == pytest.approx(0.05, rel=1e-5)
    assert scores["edge"]["bicubic"].rmse == pytest.approx(0.1, rel=1e-5)
    n_common = scores["overall"]["ours"].n_valid
    assert n_common == scores["overall"]["bicubic"].n_valid == (48 - 4) * (64 - 4)
    acc = RegionScores()
    acc.add(scores, masks)
    acc.add(scores, masks)
    summary = acc.summary("bicubic")
    assert summary["edge"]["ratio_to_bicubic"]["ours"]["rmse"] == pytest.approx(0.5, rel=1e-4)
    assert math.isnan(summary["flat"]["ratio_to_bicubic"]["ours"]["rmse"])  # bicubic is 0
    assert summary["overall"]["fraction"] == 1.0
    assert summary["edge"]["methods"]["ours"]["n_images"] == 2
