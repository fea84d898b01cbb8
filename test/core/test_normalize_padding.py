# SPDX-License-Identifier: Apache-2.0
"""Depth normalization from the LR range, and stride padding round trips."""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import DataError, ShapeError
from bridgenet_ros.runtime.normalize import (
    denormalize_depth,
    depth_range,
    normalize_depth,
    valid_mask,
)
from bridgenet_ros.runtime.padding import crop_padding, pad_to_multiple, padded_size


def test_range_ignores_invalid_pixels() -> None:
    depth = np.array([[0.0, np.nan, 1.5], [np.inf, 3.0, 2.0]], np.float32)
    assert valid_mask(depth).tolist() == [[False, False, True], [False, True, True]]
    rng = depth_range(depth)
    assert (rng.lo, rng.hi) == (1.5, 3.0)
    norm = normalize_depth(np.array([1.5, 3.0, 2.25], np.float32), rng)
    np.testing.assert_allclose(norm, [0.0, 1.0, 0.5])
    np.testing.assert_allclose(denormalize_depth(norm, rng), [1.5, 3.0, 2.25], rtol=1e-6)


def test_flat_depth_gets_minimum_span() -> None:
    rng = depth_range(np.full((4, 4), 2.0, np.float32))
    assert rng.span > 0 and rng.lo < 2.0 < rng.hi
    assert np.isfinite(normalize_depth(np.full(3, 2.0, np.float32), rng)).all()


def test_all_invalid_raises() -> None:
    with pytest.raises(DataError, match="no valid pixel"):
        depth_range(np.zeros((3, 3), np.float32))


@pytest.mark.parametrize("shape", [(1, 3, 37, 50), (30, 64), (2, 1, 16, 16)])
def test_pad_and_crop_round_trip(shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(0).random(shape).astype(np.float32)
    padded, info = pad_to_multiple(arr, 16)
    assert padded.shape[-2] % 16 == 0 and padded.shape[-1] % 16 == 0
    assert padded.shape[-2:] == padded_size(shape[-2], shape[-1], 16)
    np.testing.assert_array_equal(crop_padding(padded, info), arr)
    # edge replication: the padded rows repeat the last row
    np.testing.assert_array_equal(padded[..., -1, : shape[-1]], arr[..., -1, :])


def test_pad_rejects_bad_input() -> None:
    with pytest.raises(ShapeError):
        pad_to_multiple(np.zeros(4), 8)
    with pytest.raises(ShapeError):
        padded_size(10, 10, 0)
