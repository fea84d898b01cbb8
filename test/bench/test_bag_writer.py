# SPDX-License-Identifier: Apache-2.0
"""make-bag's writer: topics, encodings, stamps, intrinsics; readable by AnyReader and mcap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.bench.bag_writer import BagWriteOptions, scale_intrinsics, write_bag
from bridgenet_ros.bench.messages import stamp_to_ns
from bridgenet_ros.bench.topics import BagTopics
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.stream.codec import decode_depth_m, decode_rgb

TOPICS = BagTopics()


def read_all(path: Path) -> dict[str, list[tuple[int, object]]]:
    from rosbags.highlevel import AnyReader

    out: dict[str, list[tuple[int, object]]] = {}
    with AnyReader([path]) as reader:
        for conn, log_ns, raw in reader.messages():
            out.setdefault(conn.topic, []).append((log_ns, reader.deserialize(raw, conn.msgtype)))
    return out


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_round_trip_contents(storage: str, tmp_path: Path, tiny_frames: list) -> None:
    path = tmp_path / "bag"
    summary = write_bag(path, tiny_frames, BagWriteOptions(storage=storage, fps=30.0))
    assert summary.frames == len(tiny_frames)
    assert summary.rgb_hw == (96, 128) and summary.depth_hw == (24, 32)
    msgs = read_all(path)
    assert set(msgs) == {TOPICS.rgb, TOPICS.rgb_info, TOPICS.depth, TOPICS.depth_info, TOPICS.gt}
    assert all(len(v) == len(tiny_frames) for v in msgs.values())
    for i, frame in enumerate(tiny_frames):
        _, rgb = msgs[TOPICS.rgb][i]
        _, depth = msgs[TOPICS.depth][i]
        _, gt = msgs[TOPICS.gt][i]
        assert rgb.encoding == "rgb8" and depth.encoding == "16UC1" and gt.encoding == "32FC1"
        np.testing.assert_array_equal(decode_rgb(rgb), frame.rgb)
        # 16UC1 millimetres: within half a millimetre of the float LR map
        np.testing.assert_allclose(decode_depth_m(depth), frame.depth_lr, atol=0.0005 + 1e-6)
        np.testing.assert_array_equal(decode_depth_m(gt), frame.depth_hr)
        t_rgb = stamp_to_ns(rgb.header.stamp)
        t_depth = stamp_to_ns(depth.header.stamp)
        assert stamp_to_ns(gt.header.stamp) == t_rgb
        # default offset 4 ms with +-2 ms jitter
        assert 2_000_000 <= t_depth - t_rgb <= 6_000_000
        if i:
            prev = stamp_to_ns(msgs[TOPICS.rgb][i - 1][1].header.stamp)
            assert t_rgb - prev == pytest.approx(1e9 / 30, abs=1)
    offsets = [
        stamp_to_ns(msgs[TOPICS.depth][i][1].header.stamp)
        - stamp_to_ns(msgs[TOPICS.rgb][i][1].header.stamp)
        for i in range(len(tiny_frames))
    ]
    assert len(set(offsets)) > 1, "depth stamps must be jittered"
    info = msgs[TOPICS.depth_info][0][1]
    assert (info.height, info.width) == (24, 32)
    np.testing.assert_allclose(
        info.k.reshape(3, 3), scale_intrinsics(tiny_frames[0].k, (96, 128), (24, 32))
    )


def test_mcap_reader_opens_it(tmp_path: Path, tiny_frames: list) -> None:
    from mcap.reader import make_reader

    path = tmp_path / "bag"
    write_bag(path, tiny_frames[:3], BagWriteOptions(storage="mcap"))
    files = list(path.glob("*.mcap"))
    assert len(files) == 1
    with files[0].open("rb") as stream:
        reader = make_reader(stream)
        summary = reader.get_summary()
        assert summary is not None and summary.statistics is not None
        assert summary.statistics.message_count == 15
        topics = {c.topic for c in summary.channels.values()}
        schemas = {s.name for s in summary.schemas.values()}
        n_rgb = sum(1 for _, ch, _ in reader.iter_messages(topics=[TOPICS.rgb]))
    assert TOPICS.gt in topics
    assert schemas == {"sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo"}
    assert n_rgb == 3


def test_scale_intrinsics_pixel_centres() -> None:
    k = np.array([[500.0, 0, 319.5], [0, 500.0, 239.5], [0, 0, 1]])
    half = scale_intrinsics(k, (480, 640), (240, 320))
    np.testing.assert_allclose(half, [[250, 0, 159.5], [0, 250, 119.5], [0, 0, 1]])


def test_depth_mm_invalid_and_overflow_become_zero(tmp_path: Path, tiny_frames: list) -> None:
    from bridgenet_ros.bench.bag_writer import BagFrame

    lr = tiny_frames[0].depth_lr.copy()
    lr[0, 0], lr[0, 1], lr[0, 2] = np.nan, -1.0, 70.0
    frame = BagFrame(tiny_frames[0].rgb, lr, None, tiny_frames[0].k)
    write_bag(tmp_path / "bag", [frame])
    msgs = read_all(tmp_path / "bag")
    assert TOPICS.gt not in msgs  # no ground truth, no GT topic
    depth = decode_depth_m(msgs[TOPICS.depth][0][1])
    assert depth[0, 0] == 0 and depth[0, 1] == 0 and depth[0, 2] == 0
    assert depth[1, 1] == pytest.approx(lr[1, 1], abs=0.0006)


def test_refuses_existing_and_bad_options(tmp_path: Path, tiny_frames: list) -> None:
    (tmp_path / "exists").mkdir()
    with pytest.raises(DataError, match="already exists"):
        write_bag(tmp_path / "exists", tiny_frames)
    with pytest.raises(ConfigError, match="storage"):
        BagWriteOptions(storage="rosbag1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="half a frame"):
        BagWriteOptions(fps=30, depth_offset_ms=15, depth_jitter_ms=5)
    with pytest.raises(DataError, match="no frame"):
        write_bag(tmp_path / "empty", [])
