# SPDX-License-Identifier: Apache-2.0
"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.eval.metrics import MetricAccumulator, compute_metrics, crop_border


def test_metrics_hand_computed() -> None:
    gt = np.array([[1.0, 2.0], [4.0, 0.0]])  # last pixel invalid
    pred = np.array([[1.5, 2.0], [2.0, 9.0]])
    m = compute_metrics(pred, gt)
    # valid errors: 0.5, 0, -2
    assert m.n_valid == 3
    assert m.rmse == pytest.approx(math.sqrt((0.25 + 0 + 4) / 3))
    assert m.mae == pytest.approx(2.5 / 3)
    # MAD over all pixels, hole included: (0.5 + 0 + 2 + 9) / 4
    assert m.mad == pytest.approx(11.5 / 4)
    # ratios 1.5, 1.0, 2.0 -> only one below 1.25
    assert m.delta1 == pytest.approx(1 / 3)
    assert m.absrel == pytest.approx((0.5 / 1 + 0 + 2 / 4) / 3)


def test_crop_and_mask_select_pixels() -> None:
    gt = np.ones((6, 6))
    pred = np.ones((6, 6))
    pred[0, :] = 100.0  # border row, removed by crop=1
    pred[2, 2] = 3.0
    m = compute_metrics(pred, gt, crop=1)
    assert m.n_valid == 16
    assert m.mae == pytest.approx(2.0 / 16)
    mask = np.ones((6, 6), dtype=bool)
    mask[2, 2] = False
    assert compute_metrics(pred, gt, crop=1, mask=mask).mae == 0.0
    assert crop_border(np.zeros((6, 6, 3)), 2).shape == (2, 2, 3)
    with pytest.raises(ShapeError):
        crop_border(gt, 3)
    with pytest.raises(ShapeError):
        compute_metrics(pred, gt[:5])


def test_nan_prediction_on_valid_pixel_is_not_ignored() -> None:
    gt = np.ones((2, 2))
    pred = np.ones((2, 2))
    pred[0, 0] = np.nan
    m = compute_metrics(pred, gt)
    assert math.isnan(m.rmse) and math.isnan(m.delta1)


def test_no_valid_pixel_gives_nan_and_is_skipped_in_means() -> None:
    acc = MetricAccumulator()
    acc.add(compute_metrics(np.ones((2, 2)), np.zeros((2, 2))))
    acc.add(compute_metrics(np.full((2, 2), 2.0), np.ones((2, 2))))
    means = acc.mean()
    assert acc.n_images == 2
    assert means["rmse"] == pytest.approx(1.0)  # only the second image counts
    assert means["mad"] == pytest.approx(1.0)  # (1 + 1) / 2: holes count for MAD
