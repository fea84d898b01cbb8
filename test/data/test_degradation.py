# SPDX-License-Identifier: Apache-2.0
"""Bicubic protocol against PIL, invalid-pixel rules, sensor model."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.data.degradation import (
    SensorModelConfig,
    apply_sensor_model,
    bicubic_downsample,
    fill_invalid_nearest,
    upsample_depth,
)
from bridgenet_ros.errors import ConfigError, DataError, ShapeError
from bridgenet_ros.runtime.resize import lr_size_for_scale

from .helpers import NO_DEGRADATION


def _pil_bicubic(depth: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(depth.astype(np.float32), "F")
    return np.asarray(image.resize((size_hw[1], size_hw[0]), Image.BICUBIC), dtype=np.float32)


@pytest.mark.parametrize("scale", [2.0, 2.67, 3.5, 4.0, 8.0, 16.0])
def test_bicubic_equals_pil(scale: float) -> None:
    rng = np.random.default_rng(1)
    depth = (1.0 + rng.random((96, 128)) * 3.0).astype(np.float32)
    lr = bicubic_downsample(depth, scale)
    expected_hw = lr_size_for_scale(96, 128, scale)
    assert lr.shape == expected_hw and lr.dtype == np.float32
    np.testing.assert_allclose(lr, _pil_bicubic(depth, expected_hw), rtol=0, atol=2e-5)


def test_realscene_scale_gives_192x144() -> None:
    depth = np.ones((384, 512), np.float32)
    assert bicubic_downsample(depth, 512 / 192).shape == (144, 192)


def test_invalid_pixels_filled_then_masked() -> None:
    depth = np.full((64, 64), 2.0, np.float32)
    depth[:, :32] = 1.0
    depth[8:40, 40:64] = 0.0  # a large hole
    depth[50, 10] = np.nan  # a single dead pixel
    lr = bicubic_downsample(depth, 4.0)
    assert np.isfinite(lr).all()
    # LR pixels whose 4x4 footprint is entirely inside the hole are invalid (0).
    assert (lr[3:9, 11:15] == 0).all()
    # the dead pixel does not drag its neighbourhood to 0 (filled from neighbours)
    assert abs(float(lr[12, 2]) - 1.0) < 1e-4
    assert (lr[lr > 0] >= 0.9).all()
    with pytest.raises(DataError, match="no valid pixel"):
        bicubic_downsample(np.zeros((8, 8), np.float32), 2.0)
    with pytest.raises(ShapeError):
        bicubic_downsample(np.ones((4, 4, 1), np.float32), 2.0)
    with pytest.raises(ShapeError):
        bicubic_downsample(np.ones((8, 8), np.float32), 0.5)


def test_fill_and_upsample() -> None:
    depth = np.array([[1.0, 0.0], [np.nan, 3.0]], np.float32)
    filled = fill_invalid_nearest(depth)
    assert np.isfinite(filled).all() and filled[0, 0] == 1.0 and filled[1, 1] == 3.0
    up = upsample_depth(depth, (8, 8))
    assert up.shape == (8, 8) and np.isfinite(up).all()


def test_sensor_model_holes_noise_quantization() -> None:
    rng = np.random.default_rng(0)
    depth = np.full((64, 64), 2.0, np.float32)
    depth[:, 32:] = 9.5  # beyond max_depth_m=8 -> holes
    depth[:4, :4] = 0.0  # already invalid stays invalid
    cfg = SensorModelConfig(random_dropout=0.0, grazing_dropout=0.0, flying_pixel_prob=0.0)
    out = apply_sensor_model(depth, rng, cfg)
    assert (out[:, 32:] == 0).all() and (out[:4, :4] == 0).all()
    near = out[8:, 4:28]
    assert (near > 0).all()
    sigma = cfg.noise_a_m + cfg.noise_b_per_m * 4.0
    assert abs(float(near.std()) - sigma) < 0.4 * sigma
    np.testing.assert_allclose(near * 1000, np.round(near * 1000), atol=1e-2)  # mm steps
    nan_cfg = SensorModelConfig(hole_value="nan")
    assert np.isnan(apply_sensor_model(depth, np.random.default_rng(0), nan_cfg)[:, 40]).all()


def _step_depth() -> np.ndarray:
    """A 32x32 map in metres: 1 m on columns 0-15, 3 m on columns 16-31 (one vertical edge)."""
    depth = np.full((32, 32), 1.0, np.float32)
    depth[:, 16:] = 3.0
    return depth


def _assert_step_edge_at(row: np.ndarray, edge_x: float) -> None:
    """The row of a shifted :func:`_step_depth` is 1 m left and 3 m right of ``edge_x``."""
    assert (row[: int(np.floor(edge_x))] == 1.0).all()
    assert (row[int(np.ceil(edge_x)) + 1 :] == 3.0).all()


def test_sensor_model_flying_pixels_and_dark_dropout() -> None:
    depth = _step_depth()
    cfg = SensorModelConfig(**{**NO_DEGRADATION, "flying_pixel_prob": 1.0})
    out = apply_sensor_model(depth, np.random.default_rng(0), cfg)
    column = out[:, 15]
    assert ((column > 1.0) & (column < 3.0)).mean() > 0.9  # mixed pixels on the edge
    np.testing.assert_array_equal(out[:, :14], 1.0)
    dark = np.zeros((32, 32, 3), np.uint8)
    cfg_dark = SensorModelConfig(dark_dropout=1.0, random_dropout=0.0, grazing_dropout=0.0)
    assert (apply_sensor_model(depth, np.random.default_rng(0), cfg_dark, dark) == 0).all()


def test_sensor_model_shift_moves_edges_and_holes() -> None:
    """Misregistration moves a depth step by the drawn offset; holes move and never blend."""
    depth = _step_depth()
    depth[10, 5] = 0.0  # a hole on the near side
    np.testing.assert_array_equal(
        apply_sensor_model(depth, np.random.default_rng(0), SensorModelConfig(**NO_DEGRADATION)),
        depth,
    )
    cfg = SensorModelConfig(**NO_DEGRADATION, shift_max_px=2.0)
    offsets = np.random.default_rng(3).uniform(-2.0, 2.0, 2)  # what the model draws first
    out = apply_sensor_model(depth, np.random.default_rng(3), cfg)
    dy, dx = offsets
    row = out[20]
    _assert_step_edge_at(row, 15.5 + dx)  # the 1 -> 3 step moves right by dx
    holes = np.argwhere(out == 0)
    assert len(holes) >= 1
    assert np.abs(holes.mean(axis=0) - (10 + dy, 5 + dx)).max() < 1.0
    valid = out[out > 0]
    assert ((valid >= 1.0) & (valid <= 3.0)).all()  # no blend towards 0 at the hole


def test_sensor_model_shift_cap_in_rgb_pixels() -> None:
    """``shift_max_rgb_px`` caps the LR-pixel offset by the RGB/LR width ratio."""
    depth = _step_depth()
    rgb = np.full((128, 128, 3), 200, np.uint8)  # 4 RGB pixels per LR pixel
    # cap: 2 RGB px = 0.5 LR px
    cfg = SensorModelConfig(**NO_DEGRADATION, shift_max_px=3.0, shift_max_rgb_px=2.0)
    edges = []
    for seed in range(40):
        drawn = np.random.default_rng(seed).uniform(-0.5, 0.5, 2)  # the capped draw
        out = apply_sensor_model(depth, np.random.default_rng(seed), cfg, rgb)
        edge_x = 15.5 + drawn[1]
        _assert_step_edge_at(out[16], edge_x)
        edges.append(edge_x)
    assert max(abs(e - 15.5) for e in edges) <= 0.5
    # without an RGB image the cap cannot be converted: the LR-pixel limit applies
    uncapped = [abs(np.random.default_rng(seed).uniform(-3.0, 3.0, 2)[1]) for seed in range(40)]
    assert max(uncapped) > 1.0
    out = apply_sensor_model(depth, np.random.default_rng(int(np.argmax(uncapped))), cfg)
    moved = np.flatnonzero(out[16] > 2.0)[0]
    assert abs(moved - 16) >= 1


def test_sensor_model_config_validation() -> None:
    with pytest.raises(ConfigError, match="dark_dropout"):
        SensorModelConfig(dark_dropout=1.5)
    with pytest.raises(ConfigError, match="max_depth_m"):
        SensorModelConfig(min_depth_m=5.0, max_depth_m=4.0)
    with pytest.raises(ConfigError, match="shift_max_px"):
        SensorModelConfig(shift_max_px=-1.0)
    with pytest.raises(ConfigError, match="shift_max_rgb_px"):
        SensorModelConfig(shift_max_rgb_px=-1.0)


def test_training_upsampling_is_the_runtime_step() -> None:
    """The dataset's network input equals the runtime pipeline's, holes included."""
    import numpy as np

    from bridgenet_ros.data.degradation import upsample_depth
    from bridgenet_ros.runtime.pipeline import upsample_depth_lr

    rng = np.random.default_rng(5)
    depth_lr = (rng.random((12, 16)) * 3 + 0.5).astype(np.float32)
    depth_lr[3:6, 4:9] = 0.0
    depth_lr[0, 0] = np.nan
    ours = upsample_depth(depth_lr, (48, 64))
    runtime, _ = upsample_depth_lr(depth_lr, (48, 64))
    np.testing.assert_array_equal(ours, runtime)
    assert np.isfinite(ours).all()
