# SPDX-License-Identifier: Apache-2.0
"""NYU v2 labelled .mat reader on a tiny file in the same HDF5 layout (MATLAB-transposed)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from bridgenet_ros.data.nyu_mat import NYUv2Mat
from bridgenet_ros.errors import DataError


def _write_mat(path: Path, n: int = 4, h: int = 6, w: int = 8, scenes: bool = True) -> tuple:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    depth = (0.5 + rng.random((n, h, w)) * 5).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["images"] = rgb.transpose(0, 3, 2, 1)  # (N, 3, W, H) as MATLAB writes it
        f["depths"] = depth.transpose(0, 2, 1)  # (N, W, H)
        raw = depth.copy()
        raw[:, 0, :] = 0.0
        f["rawDepths"] = raw.transpose(0, 2, 1)
        if scenes:
            names = ["kitchen_0001", "kitchen_0001", "office_0002", "bedroom_0003"][:n]
            refs = []
            for i, name in enumerate(names):
                ds = f.create_dataset(
                    f"#refs#/s{i}", data=np.array([[ord(c)] for c in name], np.uint16)
                )
                refs.append(ds.ref)
            f.create_dataset("scenes", data=np.array([refs], dtype=h5py.ref_dtype))
    return rgb, depth


def test_reads_transposed_layout(tmp_path: Path) -> None:
    path = tmp_path / "nyu.mat"
    rgb, depth = _write_mat(path)
    frames = NYUv2Mat(path)
    assert len(frames) == 4
    sample = frames[2]
    np.testing.assert_array_equal(sample.rgb, rgb[2])
    np.testing.assert_array_equal(sample.depth_hr, depth[2])
    assert sample.group == "office_0002" and sample.name == "0002"
    raw = NYUv2Mat(path, raw=True)[0]
    assert (raw.depth_hr[0] == 0).all() and (raw.depth_hr[1:] > 0).all()


def test_split_by_scene(tmp_path: Path) -> None:
    path = tmp_path / "nyu.mat"
    _write_mat(path)
    train = NYUv2Mat(path, split="train", val_fraction=0.34)
    val = NYUv2Mat(path, split="val", val_fraction=0.34)
    assert len(train) + len(val) == 4
    assert set(train.groups).isdisjoint(val.groups)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        NYUv2Mat(tmp_path / "missing.mat")
    (tmp_path / "text.mat").write_text("MATLAB 5.0 MAT-file")
    with pytest.raises(DataError, match="cannot open as HDF5"):
        NYUv2Mat(tmp_path / "text.mat")
    with h5py.File(tmp_path / "empty.mat", "w") as f:
        f["images"] = np.zeros((1, 3, 4, 4), np.uint8)
    with pytest.raises(DataError, match="no 'depths' dataset"):
        NYUv2Mat(tmp_path / "empty.mat")
    with h5py.File(tmp_path / "bad.mat", "w") as f:
        f["images"] = np.zeros((2, 3, 4, 4), np.uint8)
        f["depths"] = np.zeros((2, 5, 4), np.float32)
    with pytest.raises(DataError, match="disagree"):
        NYUv2Mat(tmp_path / "bad.mat")
