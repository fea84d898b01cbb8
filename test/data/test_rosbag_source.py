# SPDX-License-Identifier: Apache-2.0
"""rosbag2 reader on tiny bags written here with rosbags (sqlite3 and MCAP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from bridgenet_ros.data.rosbag_source import RosbagRGBD, pair_by_stamp
from bridgenet_ros.errors import DataError

TS = get_typestore(Stores.ROS2_HUMBLE)
IMAGE = "sensor_msgs/msg/Image"


def _image(array: np.ndarray, encoding: str, stamp_ns: int, pad: int = 0) -> Any:
    h, w = array.shape[:2]
    row = array.reshape(h, -1).view(np.uint8)
    step = row.shape[1] + pad
    data = np.zeros((h, step), np.uint8)
    data[:, : row.shape[1]] = row
    types = TS.types
    header = types["std_msgs/msg/Header"](
        stamp=types["builtin_interfaces/msg/Time"](
            sec=stamp_ns // 1_000_000_000, nanosec=stamp_ns % 1_000_000_000
        ),
        frame_id="camera",
    )
    return types[IMAGE](
        header=header,
        height=h,
        width=w,
        encoding=encoding,
        is_bigendian=0,
        step=step,
        data=data.ravel(),
    )


def _write_bag(
    path: Path,
    storage: StoragePlugin,
    n: int = 4,
    depth_hw: tuple[int, int] = (6, 8),
    depth_offset_ms: float = 3.0,
    mm_encoding: str = "16UC1",
) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    frames = []
    writer = Writer(path, version=9, storage_plugin=storage)
    writer.open()
    rgb_conn = writer.add_connection("/cam/color", IMAGE, typestore=TS)
    depth_conn = writer.add_connection("/cam/depth", IMAGE, typestore=TS)
    writer.add_connection("/other", "std_msgs/msg/String", typestore=TS)
    for i in range(n):
        t = 1_000_000_000 + i * 100_000_000
        rgb = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        depth_mm = rng.integers(500, 4000, depth_hw, dtype=np.uint16)
        depth_mm[0, 0] = 0
        frames.append((rgb, depth_mm))
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        msg = _image(bgr, "bgr8", t, pad=4)
        writer.write(rgb_conn, t, TS.serialize_cdr(msg, IMAGE))
        td = t + int(depth_offset_ms * 1e6)
        depth = depth_mm if i % 2 == 0 else depth_mm.astype(np.float32) / 1000.0
        encoding = mm_encoding if i % 2 == 0 else "32FC1"
        writer.write(depth_conn, td, TS.serialize_cdr(_image(depth, encoding, td), IMAGE))
    # an RGB frame with no depth partner
    t = 1_000_000_000 + n * 100_000_000
    lone = _image(np.zeros((6, 8, 3), np.uint8), "rgb8", t)
    writer.write(rgb_conn, t, TS.serialize_cdr(lone, IMAGE))
    writer.close()
    return frames


@pytest.mark.parametrize("storage", [StoragePlugin.SQLITE3, StoragePlugin.MCAP])
def test_pairs_and_decodes(tmp_path: Path, storage: StoragePlugin) -> None:
    bag = tmp_path / "bag"
    frames = _write_bag(bag, storage)
    data = RosbagRGBD(bag, "/cam/color", "/cam/depth", max_dt_s=0.01)
    assert len(data) == 4
    assert data.unpaired == {"rgb": 1, "depth": 0}
    for i, (rgb, depth_mm) in enumerate(frames):
        sample = data[i]
        np.testing.assert_array_equal(sample.rgb, rgb)  # bgr8 with row padding -> RGB
        np.testing.assert_allclose(sample.depth_hr, depth_mm / 1000.0, rtol=1e-6)
        assert sample.depth_hr[0, 0] == 0.0 and sample.metric


def test_mono16_depth_is_millimetres(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    frames = _write_bag(bag, StoragePlugin.SQLITE3, mm_encoding="mono16")  # as RealSense records
    data = RosbagRGBD(bag, "/cam/color", "/cam/depth", max_dt_s=0.01)
    assert len(data) == 4
    for i, (_, depth_mm) in enumerate(frames):
        np.testing.assert_allclose(data[i].depth_hr, depth_mm / 1000.0, rtol=1e-6)


def test_tolerance_excludes_far_partners(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    _write_bag(bag, StoragePlugin.SQLITE3, depth_offset_ms=30.0)
    with pytest.raises(DataError, match="no usable RGB/depth pair"):
        RosbagRGBD(bag, "/cam/color", "/cam/depth", max_dt_s=0.01)
    assert len(RosbagRGBD(bag, "/cam/color", "/cam/depth", max_dt_s=0.05)) == 4


def test_size_mismatch_raises_or_skips(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    _write_bag(bag, StoragePlugin.SQLITE3, depth_hw=(3, 4))
    with pytest.raises(DataError, match="differ in size"):
        RosbagRGBD(bag, "/cam/color", "/cam/depth")
    with pytest.raises(DataError, match="no usable"):
        RosbagRGBD(bag, "/cam/color", "/cam/depth", on_error="skip")


def test_bad_topics_and_missing_bag(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    _write_bag(bag, StoragePlugin.MCAP, n=1)
    with pytest.raises(DataError, match=r"no depth topic /nope.*/cam/depth"):
        RosbagRGBD(bag, "/cam/color", "/nope")
    with pytest.raises(DataError, match="has type std_msgs/msg/String"):
        RosbagRGBD(bag, "/cam/color", "/other")
    with pytest.raises(DataError, match="does not exist"):
        RosbagRGBD(tmp_path / "missing", "/a", "/b")
    (tmp_path / "junk").mkdir()
    with pytest.raises(DataError, match="cannot open bag"):
        RosbagRGBD(tmp_path / "junk", "/a", "/b")


def test_pair_by_stamp_one_to_one() -> None:
    pairs = pair_by_stamp([0, 100, 200], [5, 95, 96, 400], 10)
    assert pairs == [(0, 0), (1, 2)]  # 96 is closer to 100 than 95; 400 has no partner


def test_rosbag_source_in_dataset(tmp_path: Path) -> None:
    from bridgenet_ros.config_io import from_mapping
    from bridgenet_ros.data.datasets import DataConfig, build_dataset

    bag = tmp_path / "bag"
    _write_bag(bag, StoragePlugin.MCAP)
    cfg = from_mapping(
        DataConfig,
        {
            "sources": [
                {
                    "kind": "rosbag",
                    "path": str(bag),
                    "rgb_topic": "/cam/color",
                    "depth_topic": "/cam/depth",
                    "max_dt_s": 0.01,
                }
            ],
            "crop_hw": [4, 8],
            "stride": 4,
            "samples_per_epoch": 3,
            "scale_range": [2, 2],
            "val_fraction": 0.0,
        },
    )
    sample = build_dataset(cfg)[0]
    assert sample["rgb"].shape == (3, 4, 8)
    assert 0.5 <= float(sample["depth_range"][0]) and float(sample["depth_range"][1]) <= 4.0
