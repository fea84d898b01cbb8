# SPDX-License-Identifier: Apache-2.0
"""LiDAR sensor model: beam rows, noise, range limits, seeding, dispatch, the pipeline on it."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from bridgenet_ros.config_io import from_mapping, to_mapping
from bridgenet_ros.data.config import DataConfig
from bridgenet_ros.data.degradation import (
    LidarSensorConfig,
    apply_lidar_model,
    apply_sensor_model,
    load_sensor_model,
    sensor_model_from_mapping,
)
from bridgenet_ros.errors import ConfigError

#: nothing random: fixed fan, no roll, straight rows, no noise, no dropout, no mixed pixels
PLAIN = LidarSensorConfig(
    vertical_offset_deg=0.0,
    roll_max_deg=0.0,
    spinning=False,
    noise_sigma_m=0.0,
    random_dropout=0.0,
    mixed_pixel_prob=0.0,
    min_range_m=0.1,
)


def _ray(h: int, w: int, vfov_deg: float) -> np.ndarray:
    """Range / z of each pixel's ray (whole frame, principal point at the centre)."""
    f = h / (2.0 * math.tan(math.radians(vfov_deg) / 2.0))
    y, x = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    return np.sqrt(1.0 + ((x - w / 2) / f) ** 2 + ((y - h / 2) / f) ** 2)


@pytest.mark.parametrize(
    "fields,name",
    [
        ({"n_beams": 0}, "n_beams"),
        ({"n_beams": 2.5}, "n_beams"),
        ({"beam_fov_deg": -1.0}, "beam_fov_deg"),
        ({"vfov_deg": 0.0}, "vfov_deg"),
        ({"roll_max_deg": 90.0}, "roll_max_deg"),
        ({"horizontal_step_px": 0.5}, "horizontal_step_px"),
        ({"noise_sigma_m": -0.01}, "noise_sigma_m"),
        ({"min_range_m": 5.0, "max_range_m": 2.0}, "min_range_m"),
        ({"random_dropout": 1.5}, "random_dropout"),
        ({"mixed_pixel_prob": -0.1}, "mixed_pixel_prob"),
        ({"edge_threshold_m": 0.0}, "edge_threshold_m"),
        ({"hole_value": "inf"}, "hole_value"),
        ({"beams": 16}, "beams"),
    ],
)
def test_config_errors_name_the_field(fields: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        sensor_model_from_mapping({"kind": "lidar", **fields})


def test_only_beam_rows_inside_the_fov_are_valid() -> None:
    # 9 beams 9 deg apart (-36..36 deg) in a 60 deg vertical FOV: the +-36 deg beams miss the map
    cfg = replace(PLAIN, n_beams=9, beam_fov_deg=72.0, vfov_deg=60.0)
    h, w = 61, 40
    out = apply_lidar_model(np.full((h, w), 3.0, np.float32), np.random.default_rng(0), cfg)
    f = h / (2.0 * math.tan(math.radians(30.0)))
    inside = [t for t in np.linspace(-36, 36, 9) if abs(f * math.tan(math.radians(t))) < h / 2]
    assert len(inside) == 7
    rows = sorted(int(math.floor(h / 2 - f * math.tan(math.radians(t)))) for t in inside)
    valid = out > 0
    assert (valid.sum(axis=0) == 7).all()  # every column: one return per beam in the FOV
    assert np.where(valid.any(axis=1))[0].tolist() == rows  # straight rows where they project
    # a spinning sensor's rows bend away from the horizon toward the image sides
    bent = apply_lidar_model(
        np.full((h, w), 3.0, np.float32), np.random.default_rng(0), replace(cfg, spinning=True)
    )
    top_centre = np.argmax(bent[:, w // 2] > 0)
    top_side = np.argmax(bent[:, 0] > 0)
    assert top_side < top_centre and (bent[:, w // 2] > 0).sum() == 7


def test_horizontal_step_and_beam_count_scale() -> None:
    depth = np.full((48, 64), 2.0, np.float32)
    dense = apply_lidar_model(depth, np.random.default_rng(1), replace(PLAIN, n_beams=8))
    sparse = apply_lidar_model(
        depth, np.random.default_rng(1), replace(PLAIN, n_beams=8, horizontal_step_px=4.0)
    )
    assert (sparse > 0).sum() == pytest.approx((dense > 0).sum() / 4, abs=8)
    assert not ((sparse > 0) & ~(dense > 0)).any()  # a subset of the same rows
    more = apply_lidar_model(depth, np.random.default_rng(1), replace(PLAIN, n_beams=16))
    assert (more > 0).sum() > 1.8 * (dense > 0).sum()


def test_crop_sees_the_frame_rows() -> None:
    """A training crop (frame size and offset given) gets the frame's beam rows there."""
    cfg = replace(PLAIN, spinning=True)
    frame = apply_lidar_model(np.full((60, 80), 2.0, np.float32), np.random.default_rng(0), cfg)
    crop = apply_lidar_model(
        np.full((20, 24), 2.0, np.float32),
        np.random.default_rng(0),
        cfg,
        frame_width_px=80.0,
        x_offset_px=50.0,
        frame_height_px=60.0,
        y_offset_px=8.0,
    )
    np.testing.assert_array_equal(crop > 0, frame[8:28, 50:74] > 0)


def test_range_noise_on_a_flat_plane() -> None:
    h, w, z = 64, 200, 4.0
    cfg = replace(PLAIN, n_beams=40, beam_fov_deg=40.0, noise_sigma_m=0.03)
    out = apply_lidar_model(np.full((h, w), z, np.float32), np.random.default_rng(2), cfg)
    valid = out > 0
    err = ((out - z) * _ray(h, w, cfg.vfov_deg))[valid]  # back to range along the ray
    assert valid.sum() > 5000
    assert float(err.std()) == pytest.approx(0.03, rel=0.05)
    assert abs(float(err.mean())) < 0.003
    rel = replace(cfg, noise_sigma_m=0.01, noise_rel=0.01)
    out = apply_lidar_model(np.full((h, w), z, np.float32), np.random.default_rng(2), rel)
    ray = _ray(h, w, cfg.vfov_deg)[valid]
    normalized = (out[valid] - z) * ray / (0.01 + 0.01 * z * ray)
    assert float(normalized.std()) == pytest.approx(1.0, rel=0.05)


def test_range_limits_apply_to_the_measured_range() -> None:
    h, w = 40, 120
    depth = np.tile(np.linspace(0.2, 20.0, w, dtype=np.float32), (h, 1))
    cfg = replace(PLAIN, n_beams=32, min_range_m=1.0, max_range_m=10.0)
    out = apply_lidar_model(depth, np.random.default_rng(0), cfg)
    on_beam = apply_lidar_model(depth, np.random.default_rng(0), replace(cfg, max_range_m=1e3))
    r = depth * _ray(h, w, cfg.vfov_deg)
    valid = out > 0
    assert ((r[valid] >= 1.0) & (r[valid] <= 10.0)).all()
    assert (valid == ((on_beam > 0) & (r >= 1.0) & (r <= 10.0))).all()
    assert valid.any() and (on_beam[r > 10.0] > 0).any()
    assert not (
        apply_lidar_model(np.full((h, w), 200.0, np.float32), np.random.default_rng(0)) > 0
    ).any()


def test_seeded_holes_and_mixed_pixels() -> None:
    cfg = LidarSensorConfig(hole_value="nan", roll_max_deg=1.0, random_dropout=0.1)
    depth = np.full((48, 64), 2.0, np.float32)
    depth[:, 32:] = 5.0
    a = apply_lidar_model(depth, np.random.default_rng(5), cfg)
    b = apply_lidar_model(depth, np.random.default_rng(5), cfg)
    c = apply_lidar_model(depth, np.random.default_rng(6), cfg)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c, equal_nan=True)
    assert not (a == 0).any() and 0.5 < np.isnan(a).mean() < 0.95
    mixed = apply_lidar_model(
        depth, np.random.default_rng(0), replace(PLAIN, n_beams=32, mixed_pixel_prob=1.0)
    )
    edge = mixed[:, 31][mixed[:, 31] > 0]
    assert edge.size > 10 and ((edge > 2.0) & (edge < 5.0)).mean() > 0.9
    assert ((mixed[:, :31] == 2.0) | (mixed[:, :31] == 0)).all()  # away from the edge: exact


def test_dispatch_mapping_yaml_and_training_config(repo_root: Path) -> None:
    depth = np.full((24, 32), 2.0, np.float32)
    cfg = LidarSensorConfig(n_beams=32)
    np.testing.assert_array_equal(
        apply_sensor_model(depth, np.random.default_rng(3), cfg),
        apply_lidar_model(depth, np.random.default_rng(3), cfg),
    )
    assert sensor_model_from_mapping({"kind": "lidar", "n_beams": 64}).n_beams == 64
    shipped = load_sensor_model(repo_root / "config" / "sensor_model_lidar.yaml")
    assert isinstance(shipped, LidarSensorConfig) and shipped.n_beams == 16
    data = from_mapping(
        DataConfig,
        {"sensor_models": [{"tof": {}}, {"weight": 2, "lidar": {"n_beams": 32}}]},
    )
    models, probs = data.sensor_mix
    assert isinstance(models[1], LidarSensorConfig) and models[1].n_beams == 32
    assert probs == pytest.approx((1 / 3, 2 / 3))
    # the resolved mapping (run config.yaml, shard index.json) loads back equal
    assert from_mapping(DataConfig, yaml.safe_load(yaml.safe_dump(to_mapping(data)))) == data
    with pytest.raises(ConfigError, match="exactly one"):
        from_mapping(DataConfig, {"sensor_models": [{"lidar": {}, "stereo": {}}]})
    with pytest.raises(ConfigError, match="n_beams"):
        from_mapping(DataConfig, {"sensor_models": [{"lidar": {"n_beams": 0}}]})


def test_training_samples_get_beam_rows() -> None:
    """A training mix with only LiDAR: the sample's LR map has whole rows of holes."""
    from bridgenet_ros.data.datasets import build_dataset

    config = from_mapping(
        DataConfig,
        {
            "sources": [{"kind": "synthetic", "height": 64, "width": 80}],
            "crop_hw": [32, 48],
            "scale_range": [2, 2],
            "samples_per_epoch": 3,
            "sensor_models": [{"lidar": {"n_beams": 16, "beam_fov_deg": 20.0}}],
            "sensor_model_prob": 1.0,
        },
    )
    dataset = build_dataset(config)
    for i in range(3):
        sample = dataset.sample_arrays(i)
        rows_valid = (sample["depth_lr"] > 0).any(axis=1)
        assert rows_valid.any() and not rows_valid.all()
        assert np.isfinite(sample["depth_lr_up_norm"]).all()


def test_pipeline_on_sparse_beams_masks_by_support_radius() -> None:
    """PassThrough pipeline on LiDAR LR: valid exactly within ``support_radius_px`` of a return.

    Finite there, NaN elsewhere, no crash (also with NaN holes and beams missing most rows).
    """
    from bridgenet_ros.eval.baselines import PassThroughBackend
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.normalize import lr_input_mask
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline, support_mask

    h, w = 24, 32
    yy, xx = np.mgrid[0:h, 0:w]
    depth = (2.0 + 0.05 * yy + 1.5 * (xx > 16)).astype(np.float32)
    rgb = np.zeros((4 * h, 4 * w, 3), np.uint8)
    runtime = RuntimeConfig(min_depth=0.3, max_depth=20.0)
    pipeline = DepthSRPipeline(PassThroughBackend(), runtime)
    for seed, beams, hole in ((0, 16, "zero"), (1, 4, "nan"), (2, 64, "nan")):
        cfg = LidarSensorConfig(n_beams=beams, hole_value=hole)
        lr = apply_lidar_model(depth, np.random.default_rng(seed), cfg)
        result = pipeline.run(rgb, lr)
        expected = support_mask(lr_input_mask(lr, 0.3, 20.0).mask, (4 * h, 4 * w), 2)
        mask = result.mask_valid
        np.testing.assert_array_equal(mask, expected)  # depths 2-5.7 m: all within limits
        assert np.isfinite(result.depth_sr[mask]).all() and np.isnan(result.depth_sr[~mask]).all()
        lo, hi = float(np.nanmin(lr[lr > 0])), float(np.nanmax(lr))
        assert (result.depth_sr[mask] > lo - 0.5).all() and (
            result.depth_sr[mask] < hi + 0.5
        ).all()
        if beams == 4:  # 4 beams 10 deg apart: rows far from a beam are invalid output
            assert 0.1 < mask.mean() < 0.9
