# SPDX-License-Identifier: Apache-2.0
"""Spatially coherent holes of the ToF sensor model (bridgenet_ros.data.holes)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from bridgenet_ros.data.degradation import SensorModelConfig, apply_sensor_model
from bridgenet_ros.data.holes import (
    blob_holes,
    border_band_holes,
    coherent_holes,
    edge_rim_holes,
)
from bridgenet_ros.errors import ConfigError

from .helpers import NO_DEGRADATION


def _two_planes(h: int = 48, w: int = 64) -> np.ndarray:
    """Near plane (1 m) on the left half, far plane (3 m) on the right half."""
    z = np.full((h, w), 3.0, dtype=np.float32)
    z[:, : w // 2] = 1.0
    return z


def test_off_by_default_draws_nothing() -> None:
    z = _two_planes()
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    drop = coherent_holes(z, z > 0, rng, SensorModelConfig(), 1.0)
    assert not drop.any()
    assert rng.bit_generator.state == before  # seeded samples of old configs are unchanged


def test_border_bands_stay_within_the_width() -> None:
    rng = np.random.default_rng(0)
    widths = []
    for _ in range(50):
        drop = border_band_holes((40, 60), rng, 1.0, 6.0)
        left = int(drop[20].argmin())  # first valid column of a middle row
        right = int(drop[20, ::-1].argmin())
        widths += [left, right]
        assert not drop[10:-10, left : 60 - right].any()  # the inside stays valid
    assert max(widths) <= 6 and min(widths) >= 0
    assert len(set(widths)) > 3  # random widths, not one fixed band


def test_border_band_probability_zero_and_one() -> None:
    rng = np.random.default_rng(1)
    assert not border_band_holes((20, 20), rng, 0.0, 8.0).any()
    drops = [border_band_holes((20, 20), rng, 0.5, 8.0) for _ in range(200)]
    sides_hit = np.mean([d[10, 0] for d in drops])  # left side invalid
    assert 0.3 < sides_hit < 0.7


def test_blobs_are_coherent_and_bounded() -> None:
    rng = np.random.default_rng(2)
    for _ in range(10):
        drop = blob_holes((96, 128), rng, 0.2, 4.0)
        assert drop.mean() <= 0.2 + 1e-3
        if drop.sum() > 50:
            labels, n = ndimage.label(drop)
            assert drop.sum() / n > 10  # blobs, not salt noise
    salt = blob_holes((96, 128), np.random.default_rng(3), 0.2, 0.0)
    labels, n = ndimage.label(salt)
    assert salt.sum() / max(n, 1) < 2.0


def test_edge_rims_are_on_the_far_side_only() -> None:
    z = _two_planes()
    drop = edge_rim_holes(z, z > 0, 3, 0.1)
    cols = np.flatnonzero(drop.any(axis=0))
    assert cols.tolist() == [32, 33, 34]  # far plane starts at column 32
    assert drop[:, 32:35].all()
    assert not edge_rim_holes(z, z > 0, 0, 0.1).any()


def test_sensor_model_converts_rgb_pixels_to_lr_pixels() -> None:
    z = _two_planes(48, 64)
    cfg = SensorModelConfig(**{**NO_DEGRADATION, "rim_prob": 1.0, "rim_max_rgb_px": 16.0})
    rgb_4x = np.full((192, 256, 3), 128, dtype=np.uint8)  # LR is x4: 16 RGB px = 4 LR px
    widths = []
    for seed in range(30):
        out = apply_sensor_model(z, np.random.default_rng(seed), cfg, rgb_4x)
        widths.append(int((out[24, 32:] == 0).sum()))
    assert max(widths) <= 4 and max(widths) >= 3
    assert (out[:, :32] == 1.0).all()  # the near side is never a rim


def test_config_rejects_bad_hole_parameters() -> None:
    with pytest.raises(ConfigError, match="blob_prob"):
        SensorModelConfig(blob_prob=1.5)
    with pytest.raises(ConfigError, match="rim_max_rgb_px"):
        SensorModelConfig(rim_max_rgb_px=-1.0)


def test_hole_stats_script_counts_components() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "hole_stats.py"
    spec = importlib.util.spec_from_file_location("hole_stats", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    depth = np.ones((20, 20), dtype=np.float32)
    depth[2:6, 2:6] = 0.0  # one 16-pixel hole
    depth[15, 15] = np.nan  # one single-pixel hole
    stats = module.hole_stats(depth)
    assert stats["components"] == 2 and stats["components_ge4"] == 1
    assert stats["mean_size"] == pytest.approx(8.5)
    assert stats["invalid"] == pytest.approx(17 / 400)
