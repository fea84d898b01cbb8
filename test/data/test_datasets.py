# SPDX-License-Identifier: Apache-2.0
"""Torch datasets: shapes, dtypes, LR-range normalization, masks, mixing, config errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.data.datasets import (
    DataConfig,
    SourceConfig,
    build_dataset,
    draw_scale,
    make_sample,
)
from bridgenet_ros.data.degradation import bicubic_downsample
from bridgenet_ros.data.folders import RGBDFolder, RGBDSample
from bridgenet_ros.errors import ConfigError, DataError

from .helpers import ramp_mm, write_pair

SYN = {"kind": "synthetic", "height": 64, "width": 80, "val_frames": 2}


def _config(**overrides: object) -> DataConfig:
    mapping: dict[str, object] = {
        "sources": [SYN],
        "crop_hw": [32, 48],
        "samples_per_epoch": 6,
        "scale_range": [2, 5],
    }
    mapping.update(overrides)
    return from_mapping(DataConfig, mapping)


def test_train_sample_shapes_and_dtypes() -> None:
    dataset = build_dataset(_config())
    assert len(dataset) == 6
    sample = dataset[0]
    shapes = {k: tuple(v.shape) for k, v in sample.items()}
    assert shapes == {
        "rgb": (3, 32, 48),
        "depth_lr_up_norm": (1, 32, 48),
        "depth_hr_norm": (1, 32, 48),
        "mask_valid": (1, 32, 48),
        "depth_range": (2,),
        "scale": (),
    }
    assert all(v.dtype == torch.float32 for v in sample.values())
    assert 0.0 <= float(sample["rgb"].min()) and float(sample["rgb"].max()) <= 1.0
    assert 2.0 <= float(sample["scale"]) <= 5.0
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=3)))
    assert batch["depth_lr_up_norm"].shape == (3, 1, 32, 48)


def test_deterministic_per_epoch_and_non_integer_scales() -> None:
    dataset = build_dataset(_config(samples_per_epoch=8))
    first = [float(dataset[i]["scale"]) for i in range(8)]
    assert first == [float(dataset[i]["scale"]) for i in range(8)]
    assert any(abs(s - round(s)) > 0.01 for s in first)
    dataset.set_epoch(1)
    assert first != [float(dataset[i]["scale"]) for i in range(8)]


def test_log_uniform_scales_cover_each_octave_equally() -> None:
    rng = np.random.default_rng(0)
    logs = np.log2([draw_scale(rng, (2.0, 16.0), "log_uniform") for _ in range(6000)])
    counts = np.histogram(logs, bins=[1, 2, 3, 4])[0]  # x2-4, x4-8, x8-16
    assert counts.min() > 0.9 * 2000 and counts.max() < 1.1 * 2000, counts
    uniform = np.array([draw_scale(rng, (2.0, 16.0), "uniform") for _ in range(6000)])
    assert 0.1 < float(np.mean(uniform <= 4.0)) < 0.19  # 2/14 of a uniform draw
    dataset = build_dataset(_config(scale_sampling="log_uniform", samples_per_epoch=8))
    assert all(2.0 <= float(dataset[i]["scale"]) <= 5.0 for i in range(8))
    with pytest.raises(ConfigError, match="scale_sampling"):
        _config(scale_sampling="gaussian")


def test_normalization_uses_lr_range_not_gt() -> None:
    rng = np.random.default_rng(0)
    depth = (1.0 + rng.random((32, 48))).astype(np.float32)
    depth[5, 5] = 9.0  # a GT spike the LR map smooths away
    frame = RGBDSample("f", np.zeros((32, 48, 3), np.uint8), depth, None, "g")
    arrays = make_sample(frame, 4.0, (32, 48), None)
    lr = bicubic_downsample(depth, 4.0)
    np.testing.assert_allclose(arrays["depth_range"], [lr.min(), lr.max()], rtol=1e-6)
    assert float(arrays["depth_range"][1]) < 9.0
    lo, hi = arrays["depth_range"]
    np.testing.assert_allclose(
        arrays["depth_hr_norm"][0], (depth - lo) / (hi - lo), rtol=1e-5, atol=1e-5
    )
    assert float(arrays["depth_hr_norm"].max()) > 1.5  # the spike exceeds the LR range


def test_mask_valid_and_holes() -> None:
    depth = np.full((32, 32), 2.0, np.float32)
    depth[:, :8] = 0.0
    depth[20, 20] = np.nan
    frame = RGBDSample("f", np.zeros((32, 32, 3), np.uint8), depth, None, "g")
    arrays = make_sample(frame, 2.0, (32, 32), None)
    mask = arrays["mask_valid"][0]
    assert mask[:, :8].sum() == 0 and mask[20, 20] == 0 and mask[:, 8:].sum() == 32 * 24 - 1
    assert (arrays["depth_hr_norm"][0][mask == 0] == 0).all()
    assert np.isfinite(arrays["depth_lr_up_norm"]).all()


def test_flip_mirrors_every_map() -> None:
    depth = np.tile(np.linspace(1, 3, 32, dtype=np.float32), (16, 1))
    frame = RGBDSample("f", np.zeros((16, 32, 3), np.uint8), depth, None, "g")
    plain = make_sample(frame, 2.0, (16, 32), None)
    flipped = make_sample(frame, 2.0, (16, 32), None, flip=True)
    np.testing.assert_array_equal(flipped["depth_hr_norm"], plain["depth_hr_norm"][:, :, ::-1])


def test_validation_mode_fixed_scales_centre_crops() -> None:
    dataset = build_dataset(_config(val_scales=[2, 4]), "val")
    assert len(dataset) == 2 * 2
    assert [float(dataset[i]["scale"]) for i in range(4)] == [2.0, 4.0, 2.0, 4.0]
    a = dataset[1]["depth_hr_norm"]
    assert torch.equal(a, dataset[1]["depth_hr_norm"])


def test_mix_with_folder_and_real_lr(tmp_path: Path) -> None:
    for stem in ("20200101000000", "20200102000000"):
        write_pair(tmp_path, stem, ramp_mm(48, 64))
    (tmp_path / "lr").mkdir()
    for stem in ("20200101000000", "20200102000000"):
        # LR values far from the HR ones prove which map the sample came from
        Image.fromarray(ramp_mm(18, 24, 5000, 5100)).save(tmp_path / "lr" / f"{stem}.png")
    cfg = _config(
        sources=[
            {"kind": "folder", "path": str(tmp_path), "lr_subdir": "lr", "weight": 1.0},
            {**SYN, "weight": 1e-9},
        ],
        samples_per_epoch=4,
    )
    dataset = build_dataset(cfg)
    for i in range(4):
        sample = dataset[i]
        assert float(sample["scale"]) == pytest.approx(48 / 18)  # the real LR's factor
        assert 5.0 <= float(sample["depth_range"][0]) < float(sample["depth_range"][1]) < 5.31


def test_skip_bad_files_is_counted(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm(48, 64))
    write_pair(tmp_path, "b", ramp_mm(48, 64))
    (tmp_path / "depth" / "b.png").write_bytes(b"broken")
    spec = {"kind": "folder", "path": str(tmp_path), "group_by": "stem"}
    raising = build_dataset(_config(sources=[spec], samples_per_epoch=10, val_fraction=0.0))
    with pytest.raises(DataError, match=r"b\.png"):
        for i in range(10):
            raising[i]
    skipping = build_dataset(
        _config(sources=[spec], samples_per_epoch=10, val_fraction=0.0, on_error="skip")
    )
    for i in range(10):
        skipping[i]
    assert skipping.skipped and all("b.png" in problem for _, problem in skipping.skipped)


def test_crop_larger_than_frame_is_an_error(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm(24, 32))
    folder = RGBDFolder(tmp_path)
    with pytest.raises(DataError, match="smaller than the crop"):
        make_sample(folder[0], 2.0, (32, 32), None)


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="crop_hw"):
        _config(crop_hw=[30, 48])
    with pytest.raises(ConfigError, match="scale_range"):
        _config(scale_range=[4, 2])
    with pytest.raises(ConfigError, match="unknown key"):
        _config(sources=[{"kind": "synthetic", "colour": 1}])
    with pytest.raises(ConfigError, match="kind"):
        SourceConfig(kind="kitti")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="path is required"):
        SourceConfig(kind="folder")
    with pytest.raises(ConfigError, match="smaller than crop_hw"):
        _config(crop_hw=[128, 128])


def test_rgbdd_train_val_real(shared_data: Path) -> None:
    cfg = _config(
        sources=[{"kind": "named", "path": "rgbdd"}],
        crop_hw=[64, 64],
        data_root=str(shared_data),
        samples_per_epoch=2,
        val_scales=[4],
    )
    train = build_dataset(cfg)
    sample = train[0]
    assert sample["depth_lr_up_norm"].shape == (1, 64, 64)
    lo, hi = (float(v) for v in sample["depth_range"])
    assert 0.3 < lo < hi < 10.0  # metres
    val = build_dataset(cfg, "val")
    assert len(val) == 33


def test_sensor_model_in_training_samples() -> None:
    cfg = _config(
        sensor_model={"random_dropout": 0.3},
        sensor_model_prob=1.0,
        samples_per_epoch=4,
        scale_range=[2, 2],
    )
    dataset = build_dataset(cfg)
    for i in range(4):
        arrays = dataset.sample_arrays(i)
        lr = arrays["depth_lr"]
        holes = (lr == 0) | np.isnan(lr)
        assert holes.mean() > 0.1  # dropout reached the LR map
        assert np.isfinite(arrays["depth_lr_up_norm"]).all()  # holes filled before up-sampling
        assert arrays["mask_valid"].all()  # the GT of synthetic frames is complete


def test_nyu_mat_source(tmp_path: Path) -> None:
    import h5py

    rng = np.random.default_rng(0)
    with h5py.File(tmp_path / "nyu.mat", "w") as f:
        f["images"] = rng.integers(0, 256, (2, 3, 48, 32), dtype=np.uint8)
        f["depths"] = (1 + rng.random((2, 48, 32))).astype(np.float32)
    cfg = _config(
        sources=[{"kind": "nyu_mat", "path": str(tmp_path / "nyu.mat")}],
        crop_hw=[32, 32],
        val_fraction=0.0,
    )
    sample = build_dataset(cfg)[0]
    assert sample["depth_hr_norm"].shape == (1, 32, 32)
    assert 1.0 <= float(sample["depth_range"][0]) < float(sample["depth_range"][1]) <= 2.0


def test_sensor_model_mix_draws_by_weight() -> None:
    from bridgenet_ros.data.sampling import draw_sensor_model

    cfg = _config(sensor_models=[{"weight": 3, "tof": {}}, {"stereo": {}}], sensor_model_prob=0.5)
    models, probs = cfg.sensor_mix
    rng = np.random.default_rng(0)
    drawn = [draw_sensor_model(rng, models, probs, 0.5) for _ in range(4000)]
    clean = sum(d is None for d in drawn)
    stereo = sum(d is models[1] for d in drawn)
    assert 1800 < clean < 2200 and 400 < stereo < 600  # 50 % clean, 1/4 of the rest stereo
    # a single model draws one number per sample, as before mixes existed
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    draw_sensor_model(a, models[:1], (1.0,), 0.5)
    b.random()
    assert a.random() == b.random()
