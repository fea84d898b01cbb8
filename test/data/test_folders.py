# SPDX-License-Identifier: Apache-2.0
"""Folder-format and named-set readers: units, pairing, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.data.folders import NAMED_SETS, RGBDFolder, open_named_set
from bridgenet_ros.errors import DataError

from .helpers import ramp_mm, write_pair


def test_png_mm_to_metres_and_jpg_rgb(tmp_path: Path) -> None:
    depth = ramp_mm()
    depth[0, 0] = 0
    write_pair(tmp_path, "20200509112638", depth, rgb_ext=".jpg")
    write_pair(tmp_path, "20200510112638", depth)
    folder = RGBDFolder(tmp_path)
    assert len(folder) == 2
    sample = folder[0]
    assert sample.name == "20200509112638"
    assert sample.group == "20200509"
    assert sample.rgb.shape == (24, 32, 3) and sample.rgb.dtype == np.uint8
    assert sample.depth_hr.dtype == np.float32
    np.testing.assert_allclose(sample.depth_hr, depth.astype(np.float32) * 0.001, rtol=1e-6)
    assert sample.depth_hr[0, 0] == 0.0
    assert sample.depth_lr is None and sample.metric


def test_npy_metres_tiff_and_unit_names(tmp_path: Path) -> None:
    depth_m = ramp_mm().astype(np.float32) / 1000.0
    depth_m[1, 1] = np.inf
    write_pair(tmp_path / "npy", "a", depth_m, depth_ext=".npy")
    write_pair(tmp_path / "tif", "a", depth_m, depth_ext=".tiff")
    for sub in ("npy", "tif"):
        sample = RGBDFolder(tmp_path / sub, depth_scale="m")[0]
        assert np.isnan(sample.depth_hr[1, 1])  # inf -> NaN (invalid)
        np.testing.assert_allclose(sample.depth_hr[2:], depth_m[2:], rtol=1e-6)
    tum = RGBDFolder(tmp_path / "npy", depth_scale="tum")[0]
    np.testing.assert_allclose(tum.depth_hr[2:], depth_m[2:] * 0.0002, rtol=1e-6)


def test_unitless_8bit_and_metric_8bit_rejected(tmp_path: Path) -> None:
    (tmp_path / "rgb").mkdir()
    (tmp_path / "depth").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "rgb" / "01.png")
    disparity = np.arange(64, dtype=np.uint8).reshape(8, 8) + 1
    Image.fromarray(disparity).save(tmp_path / "depth" / "01.png")
    sample = RGBDFolder(tmp_path, depth_scale=None)[0]
    assert not sample.metric
    np.testing.assert_array_equal(sample.depth_hr, disparity.astype(np.float32))
    with pytest.raises(DataError, match=r"01\.png.*8-bit.*unitless"):
        RGBDFolder(tmp_path, depth_scale=0.001)[0]


def test_real_lr_subdir(tmp_path: Path) -> None:
    write_pair(tmp_path, "s", ramp_mm(24, 32))
    (tmp_path / "lr").mkdir()
    Image.fromarray(ramp_mm(9, 12)).save(tmp_path / "lr" / "s.png")
    sample = RGBDFolder(tmp_path, lr_subdir="lr")[0]
    assert sample.depth_lr is not None and sample.depth_lr.shape == (9, 12)
    assert 0.7 < float(sample.depth_lr.min()) < 1.0


def test_unknown_unit(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm())
    with pytest.raises(DataError, match="unknown depth unit 'cm'"):
        RGBDFolder(tmp_path, depth_scale="cm")
    with pytest.raises(DataError, match="positive"):
        RGBDFolder(tmp_path, depth_scale=-1.0)


def test_missing_partner_raises_or_counts(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm())
    write_pair(tmp_path, "b", ramp_mm())
    (tmp_path / "depth" / "b.png").unlink()
    with pytest.raises(DataError, match=r"b\.png: RGB image has no depth partner"):
        RGBDFolder(tmp_path)
    folder = RGBDFolder(tmp_path, on_error="skip")
    assert folder.names == ["a"]
    assert len(folder.skipped) == 1 and folder.skipped[0][0].name == "b.png"


def test_ambiguous_stem_is_not_silently_paired(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm())
    write_pair(tmp_path, "a", ramp_mm(), rgb_ext=".jpg")
    with pytest.raises(DataError, match="ambiguous RGB files"):
        RGBDFolder(tmp_path)


def test_size_mismatch_unreadable_and_all_invalid(tmp_path: Path) -> None:
    write_pair(tmp_path, "a", ramp_mm(24, 32), rgb=np.zeros((20, 32, 3), np.uint8))
    write_pair(tmp_path, "b", np.zeros((24, 32), np.uint16))
    write_pair(tmp_path, "c", ramp_mm())
    (tmp_path / "depth" / "c.png").write_bytes(b"not a png")
    folder = RGBDFolder(tmp_path)
    with pytest.raises(DataError, match=r"a\.png: depth size 32x24.*differs.*32x20"):
        folder[0]
    with pytest.raises(DataError, match=r"b\.png: depth map has no valid pixel"):
        folder[1]
    with pytest.raises(DataError, match=r"c\.png: cannot read depth map"):
        folder[2]


def test_missing_folder_and_unknown_named_set(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folder is missing"):
        RGBDFolder(tmp_path)
    with pytest.raises(DataError, match="unknown named set 'kitti'"):
        open_named_set("kitti", tmp_path)


def test_rgbdd_real(shared_data: Path) -> None:
    folder = open_named_set("rgbdd", shared_data)
    assert len(folder) == 271
    sample = folder[0]
    assert sample.rgb.shape == (384, 512, 3)
    valid = sample.depth_hr[sample.depth_hr > 0]
    assert 0.3 < float(valid.min()) < float(valid.max()) < 10.0  # metres, not mm


def test_every_named_set_real(shared_data: Path) -> None:
    expected = {
        "rgbdd_realscene": 3,
        "middlebury": 24,
        "nyu_v2": 3,
        "raw_sensor/redwood": 5,
        "raw_sensor/tum": 1,
    }
    for name, count in expected.items():
        folder = open_named_set(name, shared_data)
        assert len(folder) == count, name
        sample = folder[0]
        assert sample.depth_hr.shape == sample.rgb.shape[:2]
        assert sample.metric == (NAMED_SETS[name].depth_scale is not None)
        valid = sample.depth_hr[np.isfinite(sample.depth_hr) & (sample.depth_hr > 0)]
        if sample.metric:
            assert 0.2 < float(valid.min()) and float(valid.max()) < 12.0, name
        else:
            assert float(valid.max()) <= 255.0
    real = open_named_set("rgbdd_realscene", shared_data)[0]
    assert real.depth_lr is not None and real.depth_lr.shape == (144, 192)
    assert 384 / 144 == pytest.approx(2.6667, abs=1e-3)


def test_rgbdd_split_by_day_real(shared_data: Path) -> None:
    train = open_named_set("rgbdd", shared_data, split="train")
    val = open_named_set("rgbdd", shared_data, split="val")
    assert len(train) + len(val) == 271
    assert set(train.groups).isdisjoint(val.groups)
    assert sorted(set(val.groups)) == ["20200531", "20200705", "20200801"]
