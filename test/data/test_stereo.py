# SPDX-License-Identifier: Apache-2.0
"""Stereo sensor model: z^2 noise, disparity quantization, edge fattening, left band, shadows."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.data.degradation import (
    SensorModelConfig,
    StereoSensorConfig,
    apply_sensor_model,
    apply_stereo_model,
    load_sensor_model,
    sensor_model_from_mapping,
)
from bridgenet_ros.errors import ConfigError

#: every effect off: each test switches on the one it checks
PLAIN = StereoSensorConfig(
    disparity_noise_px=0.0,
    disparity_step_px=0.0,
    edge_fattening_px=0.0,
    left_band=False,
    occlusion_shadows=False,
    random_dropout=0.0,
)


def _focal_map(cfg: StereoSensorConfig, width: float) -> float:
    return width / (2.0 * math.tan(math.radians(cfg.hfov_deg) / 2.0))


def _step(fg: float = 1.0, bg: float = 3.0, edge: int = 40, size: tuple = (20, 80)) -> np.ndarray:
    depth = np.full(size, bg, np.float32)
    depth[:, :edge] = fg
    return depth


def test_all_off_is_identity() -> None:
    depth = np.linspace(0.5, 6.0, 64 * 48, dtype=np.float32).reshape(48, 64)
    out = apply_stereo_model(depth, np.random.default_rng(0), PLAIN)
    np.testing.assert_allclose(out, depth, rtol=1e-5)


def test_noise_grows_with_z_squared() -> None:
    cfg = replace(PLAIN, disparity_noise_px=0.1)
    sigmas = {}
    for z in (1.0, 3.0):
        out = apply_stereo_model(np.full((200, 200), z, np.float32), np.random.default_rng(1), cfg)
        sigmas[z] = float(out.std())
        expected = z * z * cfg.disparity_noise_px / (cfg.focal_px * cfg.baseline_m)
        assert sigmas[z] == pytest.approx(expected, rel=0.05)
    assert sigmas[3.0] / sigmas[1.0] == pytest.approx(9.0, rel=0.1)


def test_disparity_is_quantized_to_subpixel_steps() -> None:
    cfg = replace(PLAIN, disparity_step_px=0.125)
    depth = np.linspace(0.5, 5.0, 40 * 50, dtype=np.float32).reshape(40, 50)
    out = apply_stereo_model(depth, np.random.default_rng(0), cfg)
    steps = cfg.focal_px * cfg.baseline_m / out.astype(np.float64) / 0.125
    np.testing.assert_allclose(steps, np.round(steps), atol=2e-3)
    assert len(np.unique(out)) < len(np.unique(depth)) / 2  # far depths share steps
    # the depth step between neighbouring disparities grows with z^2
    far_gap = np.diff(np.unique(out[out > 4.0])).max()
    near_gap = np.diff(np.unique(out[out < 1.0])).max()
    assert far_gap > 10 * near_gap


def test_edge_fattening_bleeds_foreground_toward_the_second_camera() -> None:
    depth = _step()  # foreground (1 m) left of column 40, background (3 m) right
    cfg = replace(PLAIN, edge_fattening_px=20.0)
    width_map = 20.0 * _focal_map(cfg, 80) / cfg.focal_px  # ~1.2 px per unit -> up to 1.5x
    out = apply_stereo_model(depth, np.random.default_rng(0), cfg)
    bled = out[:, 40:] < 2.0
    assert bled[:, 0].all()  # the first background column always takes the foreground
    assert (bled.sum(axis=1) <= math.floor(1.5 * width_map)).all()
    assert bled.sum(axis=1).max() > bled.sum(axis=1).min()  # width varies per row
    np.testing.assert_array_equal(out[:, :40], 1.0)  # foreground untouched
    # mirrored scene (foreground on the right): nothing bleeds leftward
    mirrored = apply_stereo_model(depth[:, ::-1].copy(), np.random.default_rng(0), cfg)
    np.testing.assert_array_equal(mirrored, depth[:, ::-1])


def test_left_band_width_is_f_b_over_z() -> None:
    cfg = replace(PLAIN, left_band=True)
    for z in (1.0, 2.0):
        out = apply_stereo_model(np.full((10, 160), z, np.float32), np.random.default_rng(0), cfg)
        band = _focal_map(cfg, 160) * cfg.baseline_m / z
        invalid = (out == 0).all(axis=0)
        assert invalid.sum() == math.ceil(band)
        assert invalid[: math.ceil(band)].all() and (out[:, math.ceil(band) :] == z).all()
    # a crop away from the frame's left edge has no band
    crop = apply_stereo_model(
        np.full((10, 40), 1.0, np.float32),
        np.random.default_rng(0),
        cfg,
        frame_width_px=160,
        x_offset_px=60,
    )
    assert (crop == 1.0).all()


def test_occlusion_shadow_left_of_foreground_only() -> None:
    depth = np.full((10, 120), 4.0, np.float32)
    depth[:, 60:80] = 1.0
    cfg = replace(PLAIN, occlusion_shadows=True)
    out = apply_stereo_model(depth, np.random.default_rng(0), cfg)
    f = _focal_map(cfg, 120)
    shadow = f * cfg.baseline_m * (1 / 1.0 - 1 / 4.0)
    invalid = (out == 0).all(axis=0)
    assert invalid.sum() == pytest.approx(shadow, abs=1.0)
    assert invalid[60 - round(shadow) + 1 : 60].all()  # just left of the object
    assert not invalid[60:].any()  # the object and the background to its right stay
    off = apply_stereo_model(depth, np.random.default_rng(0), PLAIN)
    assert not (off == 0).any()


def test_seeded_and_holes() -> None:
    cfg = StereoSensorConfig(random_dropout=0.1, hole_value="nan")
    depth = _step(size=(30, 80))
    a = apply_stereo_model(depth, np.random.default_rng(5), cfg)
    b = apply_stereo_model(depth, np.random.default_rng(5), cfg)
    c = apply_stereo_model(depth, np.random.default_rng(6), cfg)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c, equal_nan=True)
    assert 0.08 < np.isnan(a).mean() < 0.5 and not (a == 0).any()


def test_dispatch_and_mapping(repo_root: Path) -> None:
    depth = np.full((20, 30), 2.0, np.float32)
    rng = np.random.default_rng(0)
    stereo = apply_sensor_model(depth, rng, replace(PLAIN, disparity_step_px=0.5))
    d = PLAIN.focal_px * PLAIN.baseline_m / stereo / 0.5
    np.testing.assert_allclose(d, np.round(d), atol=1e-3)
    assert isinstance(sensor_model_from_mapping({"noise_a_m": 0.002}), SensorModelConfig)
    assert sensor_model_from_mapping({"kind": "stereo", "baseline_m": 0.075}).baseline_m == 0.075
    with pytest.raises(ConfigError, match="kind"):
        sensor_model_from_mapping({"kind": "sonar"})
    with pytest.raises(ConfigError, match="baseline"):
        sensor_model_from_mapping({"kind": "stereo", "baseline": 0.05})
    with pytest.raises(ConfigError, match="min_depth_m"):
        StereoSensorConfig(min_depth_m=5.0, max_depth_m=2.0)
    shipped = load_sensor_model(repo_root / "config" / "sensor_model_stereo.yaml")
    assert isinstance(shipped, StereoSensorConfig)
    assert isinstance(
        load_sensor_model(repo_root / "config" / "sensor_model_tof.yaml"), SensorModelConfig
    )


def test_training_crops_get_the_left_band_only_at_the_frame_edge() -> None:
    from bridgenet_ros.data.folders import RGBDSample
    from bridgenet_ros.data.sampling import make_sample

    frame = RGBDSample(
        "f", np.zeros((16, 128, 3), np.uint8), np.full((16, 128), 1.0, np.float32), None, "g"
    )
    cfg = replace(PLAIN, left_band=True)
    band = _focal_map(cfg, 128 / 2) * cfg.baseline_m / 1.0  # LR px of the whole frame at x2
    widths = []
    for seed in range(40):
        lr = make_sample(frame, 2.0, (16, 64), np.random.default_rng(seed), sensor_model=cfg)[
            "depth_lr"
        ]
        widths.append(int((lr == 0).all(axis=0).sum()))
    assert max(widths) == math.ceil(band)  # a crop at the frame's left edge has the band
    assert sum(w > 0 for w in widths) < 10  # crops elsewhere (x0 > 2 * band) have none
