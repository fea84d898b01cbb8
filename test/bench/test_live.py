# SPDX-License-Identifier: Apache-2.0
"""Live mode with real rclpy against the node started as a separate process."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from bridgenet_ros.bench.topics import BagTopics
from bridgenet_ros.errors import DataError

pytest.importorskip("rclpy", reason="live mode needs rclpy (ros-jazzy-rclpy wheels)")
pytestmark = [pytest.mark.ros, pytest.mark.slow]

TOPICS = BagTopics()


@pytest.fixture(scope="module")
def node_process(
    test_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m bridgenet_ros.ros.node`` with the test model, remapped to the bag topics."""
    log = tmp_path_factory.mktemp("node") / "node.log"
    with log.open("wb") as stream:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridgenet_ros.ros.node",
                "--ros-args",
                "-p",
                f"model_path:={test_checkpoint}",
                "-p",
                "backend:=torch",
                "-r",
                f"rgb/image:={TOPICS.rgb}",
                "-r",
                f"depth/image:={TOPICS.depth}",
                "-r",
                f"rgb/camera_info:={TOPICS.rgb_info}",
            ],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode in (0, -signal.SIGINT), log.read_text()[-2000:]


def test_live_against_node_process(
    node_process: subprocess.Popen[bytes], bag_factory: Callable[..., Path]
) -> None:
    from bridgenet_ros.bench.live import LiveOptions, run_live_bench

    bag = bag_factory("sqlite3")
    assert node_process.poll() is None, "node exited at start-up"
    report = run_live_bench(
        bag, LiveOptions(rate_hz=4.0, discovery_timeout_s=90.0, drain_timeout_s=10.0)
    )
    assert report["sent_pairs"] == 6
    assert report["received"] + report["dropped"] == 6
    assert report["received"] >= 2, report
    assert report["unmatched_outputs"] == 0
    lat = report["latency_ms"]
    assert 0 < lat["min"] <= lat["mean"] <= lat["max"] < 10_000
    assert len(report["per_frame_latency_ms"]) == report["received"]
    assert report["input_rate_hz"] == pytest.approx(4.0, rel=0.2)
    assert math.isfinite(report["output_rate_hz"]) and report["output_rate_hz"] > 0


def test_live_cli_writes_report(
    node_process: subprocess.Popen[bytes], bag_factory: Callable[..., Path], tmp_path: Path
) -> None:
    from bridgenet_ros.cli.main import main

    bag = bag_factory("mcap")
    code = main(
        [
            "bench",
            "--bag",
            str(bag),
            "--live",
            "--rate",
            "4",
            "--report",
            str(tmp_path),
            "--discovery-timeout",
            "90",
            "--no-progress",
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "report_live.json").read_text())
    assert report["mode"] == "live" and report["sent_pairs"] == 6 and report["received"] >= 1


def test_live_without_node_is_a_clear_error(bag_factory: Callable[..., Path]) -> None:
    from bridgenet_ros.bench.live import LiveOptions, run_live_bench

    topics = BagTopics(rgb="/camera/camera/color/image_raw", depth=TOPICS.depth)
    start = time.monotonic()
    with pytest.raises(DataError, match="no node subscribed.*python -m bridgenet_ros.ros.node"):
        run_live_bench(
            bag_factory("sqlite3"),
            LiveOptions(
                topics=topics, output_topic="/nobody/depth_sr/image", discovery_timeout_s=0.5
            ),
        )
    assert time.monotonic() - start < 30


def test_live_without_rclpy_is_a_usage_error(
    bag_factory: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    from bridgenet_ros.bench.live import run_live_bench
    from bridgenet_ros.errors import ConfigError

    real_import = builtins.__import__

    def no_rclpy(name: str, *args: object, **kwargs: object) -> object:
        if name == "rclpy" or name.startswith("rclpy."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_rclpy)
    with pytest.raises(ConfigError, match="--live needs rclpy"):
        run_live_bench(bag_factory("sqlite3"))


def test_live_refuses_a_ros1_bag(tmp_path: Path) -> None:
    import numpy as np
    from rosbags.rosbag1 import Writer
    from rosbags.typesys import Stores, get_typestore

    from bridgenet_ros.bench.live import LiveOptions, run_live_bench
    from bridgenet_ros.bench.messages import image_msg_from_fields
    from bridgenet_ros.stream.codec import IMAGE_TYPE, array_to_image_fields

    store = get_typestore(Stores.ROS1_NOETIC)
    bag = tmp_path / "old.bag"
    writer = Writer(bag)
    writer.open()
    for topic, array, encoding in (
        (TOPICS.rgb, np.zeros((8, 8, 3), np.uint8), "rgb8"),
        (TOPICS.depth, np.ones((2, 2), np.uint16), "mono16"),
    ):
        conn = writer.add_connection(topic, IMAGE_TYPE, typestore=store)
        msg = image_msg_from_fields(array_to_image_fields(array, encoding), 10, "c", store)
        writer.write(conn, 10, bytes(store.serialize_ros1(msg, IMAGE_TYPE)))
    writer.close()
    with pytest.raises(DataError, match="ROS 1 bag.*rosbags-convert"):
        run_live_bench(bag, LiveOptions(topics=TOPICS, discovery_timeout_s=1.0))


def test_drain_ends_with_the_last_frames_output_and_otherwise_after_the_idle_timeout() -> None:
    from types import SimpleNamespace

    from bridgenet_ros.bench.live import _drain, _Outputs

    def output(stamp_ns: int) -> SimpleNamespace:
        """A depth_sr message as far as _Outputs reads it (its header stamp)."""
        return SimpleNamespace(
            header=SimpleNamespace(stamp=SimpleNamespace(sec=0, nanosec=stamp_ns))
        )

    sent = {10: 0.0, 20: 0.1, 30: 0.2}  # colour stamp (ns) -> send time
    outputs = _Outputs()
    outputs.on_output(output(10))
    start = time.monotonic()
    _drain(outputs, sent, timeout_s=0.3)  # the last frame (30) never answered: idle timeout
    assert 0.3 <= time.monotonic() - start < 5.0
    outputs.on_output(output(30))  # frame 20 was dropped by the busy node; 30 is the last
    start = time.monotonic()
    _drain(outputs, sent, timeout_s=30.0)
    assert time.monotonic() - start < 1.0
    assert outputs.counts(sent) == (2, 2)
