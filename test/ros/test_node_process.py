# SPDX-License-Identifier: Apache-2.0
"""The node as a separate process (``python -m bridgenet_ros.ros.node --ros-args ...``).

Real Fast DDS between two processes: pairs published here come back super-resolved, SIGINT
ends the node promptly with exit code 0, and a missing model fails at start-up saying what to
run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]

rclpy = pytest.importorskip("rclpy", reason="rclpy (ros-jazzy-rclpy wheels) is not installed")

MS = 1_000_000
NAMESPACE = "/proc_test"


def _node_command(model_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bridgenet_ros.ros.node",
        "--ros-args",
        "-r",
        f"__ns:={NAMESPACE}",
        "-p",
        f"model_path:={model_path}",
        "-p",
        "backend:=torch",
        "-p",
        "diagnostics_period:=0.5",
        *extra,
    ]


@pytest.fixture
def node_process(test_model_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "2"}
    proc = subprocess.Popen(
        _node_command(test_model_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_second_process_super_resolves_and_exits_cleanly_on_sigint(
    node_process: subprocess.Popen[str], ros_context: Any, ros_helpers: Any
) -> None:
    from rclpy.qos import ReliabilityPolicy

    helpers = ros_helpers
    harness = helpers.Harness(ros_context, None, ReliabilityPolicy.BEST_EFFORT)
    try:
        # the client publishes and subscribes inside the node's namespace
        rgb_topic = f"{NAMESPACE}/rgb/image"
        from sensor_msgs.msg import Image

        qos = rclpy.qos.qos_profile_sensor_data
        pub_rgb = harness.client.create_publisher(Image, rgb_topic, qos)
        pub_depth = harness.client.create_publisher(Image, f"{NAMESPACE}/depth/image", qos)
        outputs: list[Any] = []
        harness.client.create_subscription(
            Image, f"{NAMESPACE}/depth_sr/image", outputs.append, 10
        )
        harness.wait_for(
            lambda: pub_rgb.get_subscription_count() > 0
            and pub_depth.get_subscription_count() > 0
            and harness.client.count_publishers(f"{NAMESPACE}/depth_sr/image") > 0,
            60,
            "the node process to come up",
        )
        time.sleep(0.3)
        rgb, depth_mm = helpers.scene(4)
        start = int(harness.client.get_clock().now().nanoseconds)
        stamps = [start + k * 33 * MS for k in range(6)]
        for stamp in stamps:  # ~30 Hz, depth 5 ms late
            pub_rgb.publish(helpers.image_msg(rgb, "bgra8" if False else "rgb8", stamp))
            pub_depth.publish(helpers.image_msg(depth_mm, "16UC1", stamp + 5 * MS))
            time.sleep(0.033)
        harness.wait_for(
            lambda: any(helpers.stamp_of(m) == stamps[-1] for m in outputs),
            60,
            "depth_sr from the node process",
        )
        out = next(m for m in outputs if helpers.stamp_of(m) == stamps[-1])
        assert out.encoding == "32FC1" and (out.height, out.width) == helpers.RGB_HW
        depth_sr = np.frombuffer(bytes(out.data), np.float32)
        assert 1.5 < float(np.nanmedian(depth_sr)) < 2.5
        assert {helpers.stamp_of(m) for m in outputs} <= set(stamps)
    finally:
        harness.close()

    node_process.send_signal(signal.SIGINT)
    started = time.monotonic()
    code = node_process.wait(timeout=20)
    elapsed = time.monotonic() - started
    log = node_process.stdout.read() if node_process.stdout else ""
    assert code == 0, log
    assert elapsed < 10, f"took {elapsed:.1f} s to stop\n{log}"
    assert "bridgenet ready" in log
    assert "Traceback" not in log


def test_missing_model_fails_at_start_up_saying_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "bridgenet_lite.onnx"
    result = subprocess.run(
        _node_command(missing),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 2, result.stderr
    assert f"model file {missing} does not exist" in result.stderr
    assert "bridgenet export" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_model_fails_at_start_up(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.pt"
    corrupt.write_bytes(b"definitely not a checkpoint")
    result = subprocess.run(
        _node_command(corrupt),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 1, result.stderr
    assert "error:" in result.stderr and str(corrupt) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("gap_s", [0.0, 0.005, 0.05])
def test_integer_slop_and_double_ctrl_c_without_traceback(
    test_model_path: Path, gap_s: float
) -> None:
    import threading

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "2"}
    # `-p sync_slop:=0` is an INTEGER on the command line: accepted for the double parameter
    proc = subprocess.Popen(
        _node_command(test_model_path, "-p", "sync_slop:=0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "bridgenet ready" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), "".join(lines)
        proc.send_signal(signal.SIGINT)
        time.sleep(gap_s)
        proc.send_signal(signal.SIGINT)  # the impatient second Ctrl-C
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    reader.join(5)
    log = "".join(lines)
    assert "slop 0.0 s" in log
    assert code in (0, 130), log
    assert "Traceback" not in log and "Exception ignored" not in log, log
