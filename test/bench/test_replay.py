# SPDX-License-Identifier: Apache-2.0
"""Offline replay: node pairing + pipeline, accuracy, out-bag, and every kind of bad bag."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from bridgenet_ros.bench.bag_writer import BagWriteOptions, write_bag
from bridgenet_ros.bench.messages import camera_info_msg, image_msg, serialize
from bridgenet_ros.bench.replay import ReplayOptions, replay_bag
from bridgenet_ros.bench.topics import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    OUTPUT_MDE_TOPIC,
    OUTPUT_SR_INFO_TOPIC,
    OUTPUT_SR_TOPIC,
    BagTopics,
)
from bridgenet_ros.errors import DataError
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.pipeline_factory import build_pipeline as build_node_pipeline

TOPICS = BagTopics()
MS = 1_000_000


@pytest.fixture(scope="module")
def pipeline(test_checkpoint: Path) -> Any:
    pipe, _, _ = build_node_pipeline(NodeConfig(model_path=str(test_checkpoint), backend="torch"))
    yield pipe
    pipe.backend.close()


def write_raw(path: Path, entries: list[tuple[str, str, int, bytes]]) -> Path:
    """A bag of hand-made (topic, msgtype, log_ns, cdr) entries."""
    from rosbags.rosbag2 import Writer

    from bridgenet_ros.bench.messages import typestore

    writer = Writer(path, version=9)
    writer.open()
    conns: dict[str, Any] = {}
    for topic, msgtype, log_ns, raw in entries:
        if topic not in conns:
            conns[topic] = writer.add_connection(topic, msgtype, typestore=typestore())
        if raw:
            writer.write(conns[topic], log_ns, raw)
    writer.close()
    return path


def frame_entries(frames: list, stamps_rgb: list[int], depth_delay_ns: int = 3 * MS) -> list:
    out = []
    for frame, t in zip(frames, stamps_rgb):
        out.append(
            (
                TOPICS.rgb,
                IMAGE_TYPE,
                t,
                serialize(image_msg(frame.rgb, "rgb8", t, "c"), IMAGE_TYPE),
            )
        )
        td = t + depth_delay_ns
        mm = np.rint(frame.depth_lr * 1000).astype(np.uint16)
        out.append(
            (TOPICS.depth, IMAGE_TYPE, td, serialize(image_msg(mm, "16UC1", td, "d"), IMAGE_TYPE))
        )
    return out


def test_replay_pairs_scores_and_writes_out_bag(
    pipeline: Any, bag_factory: Callable[..., Path], tmp_path: Path, tiny_frames: list
) -> None:
    bag = bag_factory("sqlite3")
    result = replay_bag(bag, pipeline, ReplayOptions(out_bag=tmp_path / "out", samples=2))
    n = len(tiny_frames)
    assert len(result.frames) == result.pairs_made == n and result.pairs_dropped == 0
    assert result.rgb_messages == result.depth_messages == result.gt_messages == n
    for record in result.frames:
        assert set(record.stages_ms) == {
            "decode",
            "preprocess",
            "inference",
            "postprocess",
            "encode",
        }
        assert record.stages_ms["inference"] > 0
        assert record.latency_ms == pytest.approx(sum(record.stages_ms.values()))
        assert record.rmse is not None and record.bicubic_rmse is not None
        assert 0 < record.mae <= record.rmse  # type: ignore[operator]
    # the bicubic baseline is the pipeline's own depth_lr_up: recompute it for one sample
    sample = result.samples[0]
    assert sample.depth_gt is not None
    again = pipeline.run(sample.rgb, sample.depth_lr)
    np.testing.assert_array_equal(again.depth_lr_up, sample.depth_lr_up)
    from bridgenet_ros.bench.stats import depth_errors

    assert result.frames[sample.index].bicubic_rmse == pytest.approx(
        depth_errors(sample.depth_lr_up, sample.depth_gt)[0]
    )
    assert len(result.samples) == 2 and result.samples[-1].index == n - 1
    assert result.replay_s > 0 and result.peak_rss_mb > 10

    from rosbags.highlevel import AnyReader

    with AnyReader([tmp_path / "out"]) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        assert counts[OUTPUT_SR_TOPIC] == n and counts[OUTPUT_MDE_TOPIC] == n
        assert counts[TOPICS.rgb_info] == n  # untouched topics are copied too
        assert counts[OUTPUT_SR_INFO_TOPIC] == n  # depth_sr/camera_info as the node publishes
        rgb_stamps, sr_stamps, info_stamps = [], [], []
        for conn, _, raw in reader.messages():
            msg = reader.deserialize(raw, conn.msgtype)
            if conn.topic == TOPICS.rgb:
                rgb_stamps.append((msg.header.stamp.sec, msg.header.stamp.nanosec))
            if conn.topic == OUTPUT_SR_TOPIC:
                sr_stamps.append((msg.header.stamp.sec, msg.header.stamp.nanosec))
                assert msg.encoding == "32FC1" and (msg.height, msg.width) == (96, 128)
                assert msg.header.frame_id == "camera_color_optical_frame"
            if conn.topic == OUTPUT_SR_INFO_TOPIC:
                info_stamps.append((msg.header.stamp.sec, msg.header.stamp.nanosec))
                assert msg.header.frame_id == "camera_color_optical_frame"
                assert (msg.height, msg.width) == (96, 128)
                # output grid = RGB grid: the frame's own K, unchanged
                np.testing.assert_allclose(
                    msg.k.reshape(3, 3), tiny_frames[len(info_stamps) - 1].k
                )
    assert sr_stamps == rgb_stamps  # stamps preserved: the RGB header, as the node publishes
    assert info_stamps == rgb_stamps


def test_mcap_round_trip(pipeline: Any, bag_factory: Callable[..., Path]) -> None:
    result = replay_bag(bag_factory("mcap"), pipeline, ReplayOptions(samples=0))
    assert len(result.frames) == 6 and result.samples == []


def test_pairing_is_the_nodes_policy(
    pipeline: Any, tmp_path: Path, flat_frames: Callable[[int], list]
) -> None:
    frames = flat_frames(4)
    t0 = 1_000_000_000
    entries = frame_entries(frames, [t0 + i * 33 * MS for i in range(4)])
    # drop the depth of frame 1: its RGB cannot pair and is counted as dropped
    entries = [e for e in entries if not (e[0] == TOPICS.depth and e[2] == t0 + 36 * MS)]
    bag = write_raw(tmp_path / "bag", entries)
    result = replay_bag(bag, pipeline, ReplayOptions(samples=0))
    assert result.rgb_messages == 4 and result.depth_messages == 3
    assert result.pairs_made == 3 and result.pairs_dropped == 1
    assert not result.has_gt and all(f.rmse is None for f in result.frames)
    # a slop smaller than the 3 ms offset pairs nothing: a clear error, not an empty report
    with pytest.raises(DataError, match="no RGB/depth pair"):
        replay_bag(bag, pipeline, ReplayOptions(sync_slop_s=0.001))


def test_empty_bag(pipeline: Any, tmp_path: Path) -> None:
    bag = write_raw(
        tmp_path / "bag", [(TOPICS.rgb, IMAGE_TYPE, 0, b""), (TOPICS.depth, IMAGE_TYPE, 0, b"")]
    )
    with pytest.raises(DataError, match="no message on the rgb topic"):
        replay_bag(bag, pipeline)


def test_missing_topic(pipeline: Any, tmp_path: Path, flat_frames: Callable[[int], list]) -> None:
    entries = [e for e in frame_entries(flat_frames(2), [0, 33 * MS]) if e[0] == TOPICS.rgb]
    bag = write_raw(tmp_path / "bag", entries)
    with pytest.raises(
        DataError,
        match=r"no depth topic /camera/camera/depth/image_rect_raw.*"
        r"--depth-topic",
    ):
        replay_bag(bag, pipeline)


def test_wrong_message_type(pipeline: Any, tmp_path: Path) -> None:
    k = np.eye(3)
    raw = serialize(camera_info_msg(k, 24, 32, 0, "d"), CAMERA_INFO_TYPE)
    bag = write_raw(
        tmp_path / "bag",
        [(TOPICS.rgb, CAMERA_INFO_TYPE, 0, raw), (TOPICS.depth, CAMERA_INFO_TYPE, 0, raw)],
    )
    with pytest.raises(DataError, match="has type sensor_msgs/msg/CameraInfo, expected"):
        replay_bag(bag, pipeline)


def test_corrupt_and_out_of_order_messages_are_counted_skips(
    pipeline: Any, tmp_path: Path, flat_frames: Callable[[int], list]
) -> None:
    frames = flat_frames(5)
    t0 = 2_000_000_000
    entries = frame_entries(frames, [t0 + i * 33 * MS for i in range(5)])
    # frame 1's RGB: truncated CDR; frame 3's RGB: stamped before frame 2 (clock went back)
    topic, msgtype, log_ns, raw = entries[2]
    entries[2] = (topic, msgtype, log_ns, raw[:40])
    back = t0 + 10 * MS
    entries[6] = (
        TOPICS.rgb,
        IMAGE_TYPE,
        entries[6][2],
        serialize(image_msg(frames[3].rgb, "rgb8", back, "c"), IMAGE_TYPE),
    )
    # frame 0's depth: data length does not match step x height. As in the node, the header
    # check rejects it before pairing (counted as bad_data_length), so it never takes a partner.
    bad = image_msg(frames[0].depth_lr.astype(np.uint16), "16UC1", t0 + 3 * MS, "d")
    bad.data = bad.data[:-7]
    entries[1] = (TOPICS.depth, IMAGE_TYPE, entries[1][2], serialize(bad, IMAGE_TYPE))
    bag = write_raw(tmp_path / "bag", entries)
    result = replay_bag(bag, pipeline, ReplayOptions(samples=0))
    assert result.skipped["rgb_corrupt"] == 1
    assert result.skipped["rgb_out_of_order"] == 1
    assert result.skipped["bad_data_length"] == 1
    # with the node's 50 ms slop: RGB 0 pairs with depth 1 (36 ms; the corrupt depth 0 never
    # entered the pairer), RGB 2 with depth 2, RGB 4 with depth 3
    assert [f.stamp_ns - t0 for f in result.frames] == [0, 66 * MS, 132 * MS]
    assert result.pairs_made == 3
    assert result.pairs_dropped == 2 and result.rgb_messages == 5


def test_not_a_bag(pipeline: Any, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        replay_bag(tmp_path / "nope", pipeline)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "metadata.yaml").write_text("not: [a bag\n")
    with pytest.raises(DataError, match="cannot open bag"):
        replay_bag(tmp_path / "junk", pipeline)


def test_jittered_offset_bag_from_writer_pairs_every_frame(
    pipeline: Any, tmp_path: Path, flat_frames: Callable[[int], list]
) -> None:
    bag = tmp_path / "bag"
    write_bag(bag, flat_frames(4), BagWriteOptions(depth_offset_ms=8, depth_jitter_ms=3))
    result = replay_bag(bag, pipeline, ReplayOptions(samples=1))
    assert result.pairs_made == 4 and result.skipped == {}


def test_out_bag_must_not_exist(
    pipeline: Any, bag_factory: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(DataError, match="--out-bag .* already exists"):
        replay_bag(bag_factory("sqlite3"), pipeline, ReplayOptions(out_bag=tmp_path / "out"))


def test_auto_backend_reports_its_choice(test_checkpoint: Path, tmp_path: Path) -> None:
    import shutil

    # a folder of its own: other tests export an .onnx beside the shared checkpoint
    alone = Path(shutil.copy(test_checkpoint, tmp_path / test_checkpoint.name))
    pipe, path, reason = build_node_pipeline(NodeConfig(model_path=str(alone), backend="auto"))
    try:
        assert path == alone
        assert pipe.backend.name == "torch"  # a .pt with no .onnx sibling and no TensorRT
        assert reason
    finally:
        pipe.backend.close()


def write_ros1_bag(path: Path, frames: list, t0: int) -> Path:
    """A ROS 1 ``.bag`` as a RealSense records it: rgb8, mono16 depth, both camera_infos."""
    from rosbags.rosbag1 import Writer
    from rosbags.typesys import Stores, get_typestore

    from bridgenet_ros.bench.bag_writer import scale_intrinsics
    from bridgenet_ros.bench.messages import camera_info_msg, image_msg_from_fields
    from bridgenet_ros.stream.codec import array_to_image_fields

    store = get_typestore(Stores.ROS1_NOETIC)
    writer = Writer(path)
    writer.open()
    topics = (TOPICS.rgb, TOPICS.rgb_info, TOPICS.depth, TOPICS.depth_info)
    types = (IMAGE_TYPE, CAMERA_INFO_TYPE, IMAGE_TYPE, CAMERA_INFO_TYPE)
    conns = [writer.add_connection(t, m, typestore=store) for t, m in zip(topics, types)]
    for i, frame in enumerate(frames):
        t_rgb, t_depth = t0 + i * 33 * MS, t0 + i * 33 * MS + 5 * MS
        hw, lr_hw = frame.rgb.shape[:2], frame.depth_lr.shape
        mm = np.round(frame.depth_lr * 1000).astype(np.uint16)
        messages = (
            image_msg_from_fields(array_to_image_fields(frame.rgb, "rgb8"), t_rgb, "c", store),
            camera_info_msg(frame.k, *hw, t_rgb, "c", store),
            image_msg_from_fields(array_to_image_fields(mm, "mono16"), t_depth, "d", store),
            camera_info_msg(scale_intrinsics(frame.k, hw, lr_hw), *lr_hw, t_depth, "d", store),
        )
        for conn, msgtype, msg, t in zip(conns, types, messages, (t_rgb, t_rgb, t_depth, t_depth)):
            writer.write(conn, t, bytes(store.serialize_ros1(msg, msgtype)))
    writer.close()
    return path


def test_ros1_bag_replays_and_out_bag_keeps_stamps_ids_and_intrinsics(
    pipeline: Any, tmp_path: Path, flat_frames: Callable[[int], list]
) -> None:
    frames = flat_frames(3)
    t0 = 7_000_000_000
    bag = write_ros1_bag(tmp_path / "realsense.bag", frames, t0)
    registered: list[Any] = []

    def registrar(depth_m: np.ndarray, intrinsics: Any) -> np.ndarray:
        registered.append(intrinsics)
        return depth_m

    out = tmp_path / "out.bag"
    result = replay_bag(bag, pipeline, ReplayOptions(out_bag=out, samples=0), registrar=registrar)
    assert [f.stamp_ns - t0 for f in result.frames] == [0, 33 * MS, 66 * MS]
    assert result.skipped == {} and result.warnings == {}  # mono16 decoded, infos found
    # the depth camera_info (ROS 1 field name K) reached the registration hook; the first pair
    # completed before the first depth camera_info was recorded, so it had none yet
    assert registered[0] is None and len(registered) == 3
    assert registered[-1].width == 32 and registered[-1].k[0, 0] == pytest.approx(25.0)
    from rosbags.highlevel import AnyReader

    with AnyReader([out]) as reader:
        assert not reader.is2  # a ROS 1 input gives a ROS 1 output
        counts = {c.topic: c.msgcount for c in reader.connections}
        assert counts[TOPICS.depth_info] == counts[OUTPUT_SR_INFO_TOPIC] == 3
        seen = {}
        for conn, _, raw in reader.messages():
            msg = reader.deserialize(raw, conn.msgtype)
            seen.setdefault(conn.topic, []).append(msg)
    for rgb, sr, info in zip(seen[TOPICS.rgb], seen[OUTPUT_SR_TOPIC], seen[OUTPUT_SR_INFO_TOPIC]):
        assert sr.header.stamp == rgb.header.stamp == info.header.stamp
        assert sr.header.frame_id == info.header.frame_id == "c"
        assert sr.encoding == "32FC1" and (sr.height, sr.width) == (96, 128)
        np.testing.assert_allclose(np.asarray(info.K).reshape(3, 3), frames[0].k)
