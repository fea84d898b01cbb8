# SPDX-License-Identifier: Apache-2.0
"""The bridgenet node in-process with real rclpy (Fast DDS).

Covers data flow, QoS, bad input, parameters, diagnostics and shutdown.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError

pytestmark = [pytest.mark.ros, pytest.mark.slow]

rclpy = pytest.importorskip("rclpy", reason="rclpy (ros-jazzy-rclpy wheels) is not installed")

from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import ReliabilityPolicy  # noqa: E402

from bridgenet_ros.ros.node import BridgeNetNode  # noqa: E402

from .conftest import (  # noqa: E402
    DEPTH_HW,
    QOS_CHECK_S,
    RGB_HW,
    Harness,
    camera_info_msg,
    image_msg,
    node_params,
    scene,
    stamp_of,
)

MS = 1_000_000


def _decode_f32(msg: Any) -> np.ndarray:
    assert msg.encoding == "32FC1" and not msg.is_bigendian
    assert msg.step == msg.width * 4 and len(msg.data) == msg.step * msg.height
    return np.frombuffer(bytes(msg.data), dtype=np.float32).reshape(msg.height, msg.width)


_LAST_STAMP = [0]


def _now_ns(harness: Any) -> int:
    """A stamp at "now" that is also >= 1 s after the previous one handed out.

    Bad-input cases publish follow-up pairs 0.5 s in the future; a plain "now" could then lie
    before them and make the node see a (deliberate elsewhere) backwards jump.
    """
    stamp = max(int(harness.client.get_clock().now().nanoseconds), _LAST_STAMP[0] + 1_000 * MS)
    _LAST_STAMP[0] = stamp
    return stamp


@pytest.mark.parametrize(
    "reliability", [ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT]
)
def test_pairs_at_20hz_come_out_with_rgb_stamp(
    make_harness: Callable[..., Any], reliability: ReliabilityPolicy
) -> None:
    harness = make_harness(reliability=reliability, publish_mde=True)
    harness.wait_connected()
    rgb, depth_mm = scene()
    start = _now_ns(harness)
    harness.pub_info.publish(camera_info_msg(*RGB_HW, start))
    stamps = []
    for k in range(8):
        stamp = start + k * 50 * MS
        stamps.append(stamp)
        # depth stamped 7 ms after the RGB (different sensor clocks), well inside the slop
        harness.publish_pair(
            image_msg(rgb, "rgb8", stamp), image_msg(depth_mm, "16UC1", stamp + 7 * MS)
        )
        time.sleep(0.05)
    # the last pair is never dropped by the keep-latest buffer: it must come out
    out = harness.wait_output(stamps[-1])
    assert out.header.frame_id == "camera_color_optical_frame"
    assert (out.height, out.width) == RGB_HW
    depth_sr = _decode_f32(out)
    finite = depth_sr[np.isfinite(depth_sr)]
    assert finite.size > 0.9 * depth_sr.size
    assert finite.min() >= 0.1 and finite.max() <= 10.0  # min/max_depth masking
    # random weights, but the output lives in the LR depth frame (1..3 m ramp)
    assert 1.5 < float(np.median(finite)) < 2.5
    with harness.lock:
        received = {stamp_of(m) for m in harness.outputs}
    assert received <= set(stamps)  # only RGB stamps, never depth ones
    stats = harness.node.stats()
    assert stats["pairs"] == 8
    assert stats["outputs"] == len(received)
    assert stats["outputs"] + stats["dropped_busy"] == 8
    harness.wait_for(
        lambda: any(stamp_of(m) == stamps[-1] for m in harness.infos), 10, "depth_sr/camera_info"
    )
    info = next(m for m in harness.infos if stamp_of(m) == stamps[-1])
    assert (info.height, info.width) == RGB_HW
    assert info.k[0] == pytest.approx(0.8 * RGB_HW[1])
    harness.wait_for(
        lambda: any(stamp_of(m) == stamps[-1] for m in harness.mde), 10, "depth_mde/image"
    )


def test_output_resolution_model_scales_camera_info(
    make_harness: Callable[..., Any],
) -> None:
    harness = make_harness(output_resolution="model", model_height=32, model_width=48)
    harness.wait_connected()
    rgb, depth_mm = scene(1)
    stamp = _now_ns(harness)
    harness.pub_info.publish(camera_info_msg(*RGB_HW, stamp))
    time.sleep(0.3)
    harness.publish_pair(image_msg(rgb, "bgr8", stamp), image_msg(depth_mm, "16UC1", stamp))
    out = harness.wait_output(stamp)
    assert (out.height, out.width) == (32, 48)
    harness.wait_for(lambda: any(stamp_of(m) == stamp for m in harness.infos), 10, "info")
    info = next(m for m in harness.infos if stamp_of(m) == stamp)
    assert (info.height, info.width) == (32, 48)
    assert info.k[0] == pytest.approx(0.8 * RGB_HW[1] * 48 / RGB_HW[1])
    assert info.k[5] == pytest.approx(RGB_HW[0] / 2 * 32 / RGB_HW[0])


def test_qos_override_to_reliable_rejects_best_effort_publishers(
    make_harness: Callable[..., Any],
) -> None:
    overrides = {
        "qos_overrides./qos/rgb/image.subscription.reliability": "reliable",
        "qos_overrides./qos/depth/image.subscription.reliability": "reliable",
    }
    harness = make_harness(
        reliability=ReliabilityPolicy.BEST_EFFORT, namespace="/qos", **overrides
    )
    topic = "/qos/rgb/image"
    harness.wait_for(
        lambda: bool(harness.node.get_subscriptions_info_by_topic(topic)), 10, "subscription info"
    )
    ours = [
        s
        for s in harness.node.get_subscriptions_info_by_topic(topic)
        if s.node_name == "bridgenet"
    ]
    assert ours and ours[0].qos_profile.reliability == ReliabilityPolicy.RELIABLE
    # a best-effort writer cannot match a reliable reader: no connection ever forms. A second
    # best-effort writer reports the refused match (the incompatible-QoS event), so discovery
    # has seen the reader and decided
    from rclpy.event_handler import PublisherEventCallbacks
    from rclpy.qos import QoSProfile
    from sensor_msgs.msg import Image

    refused: list[Any] = []
    probe = harness.client.create_publisher(
        Image,
        "rgb/image",
        QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT),
        event_callbacks=PublisherEventCallbacks(incompatible_qos=refused.append),
    )
    harness.wait_for(lambda: bool(refused), 10, "the incompatible-QoS event")
    assert probe.get_subscription_count() == 0
    assert harness.pub_rgb.get_subscription_count() == 0


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad_input_harness(ros_context: Any, test_model_path: Path) -> Iterator[Any]:
    node = BridgeNetNode(
        context=ros_context,
        namespace="/bad",
        parameter_overrides=node_params(test_model_path, max_input_pixels=20_000, sync_slop=0.02),
        qos_check_period_s=QOS_CHECK_S,
    )
    harness = Harness(ros_context, node, ReliabilityPolicy.RELIABLE, "/bad")
    harness.wait_connected()
    yield harness
    harness.close()


def _good_pair(stamp: int) -> tuple[Any, Any]:
    rgb, depth_mm = scene(2)
    return image_msg(rgb, "rgb8", stamp), image_msg(depth_mm, "16UC1", stamp)


def _bad_pair(case: str, stamp: int) -> tuple[Any, Any]:
    rgb, depth_mm = scene(3)
    rgb_msg, depth_msg = image_msg(rgb, "rgb8", stamp), image_msg(depth_mm, "16UC1", stamp)
    if case == "unsupported_encoding":
        rgb_msg.encoding = "yuv422"
    elif case == "bad_data_length":
        depth_msg.data = bytes(depth_msg.data)[:-2]
    elif case == "size_mismatch":  # 12x48 depth for a 48x64 RGB: aspect 4.0 vs 1.33
        depth_msg = image_msg(np.full((12, 48), 1500, np.uint16), "16UC1", stamp)
    elif case == "depth_larger_than_rgb":
        depth_msg = image_msg(np.full((96, 128), 1500, np.uint16), "16UC1", stamp)
    elif case == "all_invalid_depth":
        depth_msg = image_msg(np.zeros(DEPTH_HW, np.uint16), "16UC1", stamp)
    elif case == "oversized_image":
        rgb_msg = image_msg(np.zeros((150, 200, 3), np.uint8), "rgb8", stamp)
    elif case == "big_endian_input":
        depth_msg = image_msg(depth_mm, "16UC1", stamp, is_bigendian=True)
    elif case == "mono16_depth":  # RealSense bags record depth as mono16 (= 16UC1 layout)
        depth_msg = image_msg(depth_mm, "mono16", stamp)
    elif case == "nan_32fc1_depth_with_padding":
        metres = depth_mm.astype(np.float32) / 1000
        metres[:, :4] = np.nan
        depth_msg = image_msg(metres, "32FC1", stamp, step=DEPTH_HW[1] * 4 + 12)
    else:
        raise AssertionError(case)
    return rgb_msg, depth_msg


# case -> (counter that must grow, whether the bad pair itself still yields an output)
BAD_CASES = {
    "unsupported_encoding": ("unsupported_encoding", False),
    "bad_data_length": ("bad_data_length", False),
    "size_mismatch": ("size_mismatch", False),
    "depth_larger_than_rgb": ("size_mismatch", False),
    "all_invalid_depth": ("all_invalid_depth", True),
    "oversized_image": ("oversized_image", False),
    "big_endian_input": ("big_endian_input", True),
    "nan_32fc1_depth_with_padding": (None, True),
    "mono16_depth": (None, True),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_counted_and_next_good_pair_comes_out(
    bad_input_harness: Any, case: str
) -> None:
    harness = bad_input_harness
    counter, yields_output = BAD_CASES[case]
    before = harness.node.stats()
    stamp = _now_ns(harness)
    harness.publish_pair(*_bad_pair(case, stamp))
    if counter is not None:
        harness.wait_for(lambda: harness.node.stats()[counter] > before[counter], 30, counter)
    if yields_output:
        out = _decode_f32(harness.wait_output(stamp))
        if case == "all_invalid_depth":
            assert np.isnan(out).all()
        else:  # decoded by value: 1..3 m, not byte-swapped garbage / NaN-poisoned
            assert 1.5 < float(np.nanmedian(out)) < 2.5
    else:
        time.sleep(0.3)
        assert harness.output_with_stamp(stamp) is None
    good = stamp + 500 * MS  # far beyond the slop from the bad pair
    harness.publish_pair(*_good_pair(good))
    out = _decode_f32(harness.wait_output(good))
    assert np.isfinite(out).mean() > 0.9
    assert harness.node.worker_alive
    assert harness.node.stats()["inference_failed"] == 0


def test_stamps_jumping_back_reset_pairing(bad_input_harness: Any) -> None:
    harness = bad_input_harness
    before = harness.node.stats()["stamp_jump_back"]
    now = _now_ns(harness)
    harness.publish_pair(*_good_pair(now))
    harness.wait_output(now)
    looped = now - 30_000 * MS  # a bag looping back 30 s
    _LAST_STAMP[0] = now + 1_000 * MS
    harness.publish_pair(*_good_pair(looped))
    harness.wait_for(lambda: harness.node.stats()["stamp_jump_back"] > before, 30, "reset")
    harness.wait_output(looped)  # pairing starts afresh from the older stamps
    harness.publish_pair(*_good_pair(looped + 100 * MS))
    harness.wait_output(looped + 100 * MS)


def test_missing_camera_info_is_counted_then_info_follows(bad_input_harness: Any) -> None:
    harness = bad_input_harness
    before = harness.node.stats()["missing_camera_info"]
    stamp = _now_ns(harness)
    harness.publish_pair(*_good_pair(stamp))
    harness.wait_output(stamp)
    if harness.node.stream.camera_info is None:
        assert harness.node.stats()["missing_camera_info"] > before
    harness.pub_info.publish(camera_info_msg(*RGB_HW, stamp))
    harness.wait_for(lambda: harness.node.stream.camera_info is not None, 10, "camera_info cached")
    later = stamp + 200 * MS
    harness.publish_pair(*_good_pair(later))
    harness.wait_output(later)
    harness.wait_for(lambda: any(stamp_of(m) == later for m in harness.infos), 10, "info")
    # an info of another size is refused (counted), the image still comes out
    mismatched = harness.node.stats()["camera_info_mismatch"]
    harness.pub_info.publish(camera_info_msg(480, 640, later))
    harness.wait_for(lambda: harness.node.stream.camera_info.width == 640, 10, "new info cached")
    last = later + 200 * MS
    harness.publish_pair(*_good_pair(last))
    harness.wait_output(last)
    assert harness.node.stats()["camera_info_mismatch"] > mismatched


def test_unpaired_stamps_are_explained(bad_input_harness: Any) -> None:
    harness = bad_input_harness  # sync_slop 0.02 s
    before = harness.node.stats()["no_partner_in_slop"]
    stamp = _now_ns(harness)
    rgb, depth = _good_pair(stamp)
    _, late_depth = _good_pair(stamp + 100 * MS)  # 100 ms from its RGB: beyond the slop
    harness.pub_rgb.publish(rgb)
    harness.wait_for(lambda: harness.node.stream.pairer.queued(0) > 0, 10, "rgb queued")
    harness.pub_depth.publish(late_depth)
    harness.wait_for(
        lambda: harness.node.stats()["no_partner_in_slop"] > before, 10, "no_partner_in_slop"
    )
    stats = harness.node.stats()
    assert stats["pairing_nearest_gap_ms"] == 100
    assert harness.output_with_stamp(stamp) is None
    _LAST_STAMP[0] = stamp + 1_000 * MS  # later tests start beyond the queued late depth


def test_all_zero_camera_info_k_is_warned(bad_input_harness: Any) -> None:
    harness = bad_input_harness
    before = harness.node.stats()["zero_camera_info"]
    stamp = _now_ns(harness)
    info = camera_info_msg(*RGB_HW, stamp)
    info.k = [0.0] * 9
    harness.pub_info.publish(info)
    harness.wait_for(
        lambda: harness.node.stats()["zero_camera_info"] > before, 10, "zero_camera_info"
    )
    harness.publish_pair(*_good_pair(stamp))
    harness.wait_output(stamp)  # the image still comes out, without camera_info
    time.sleep(0.2)
    assert not any(stamp_of(m) == stamp for m in harness.infos)
    harness.pub_info.publish(camera_info_msg(*RGB_HW, stamp))  # leave a good one cached


# --------------------------------------------------------------------------- parameters


def test_parameters_validated_at_run_time(make_harness: Callable[..., Any]) -> None:
    node = make_harness().node
    read_only = node.set_parameters([Parameter("model_path", value="/tmp/other.onnx")])[0]
    assert not read_only.successful and "read-only" in read_only.reason
    out_of_range = node.set_parameters([Parameter("sync_slop", value=5.0)])[0]
    assert not out_of_range.successful
    wrong_type = node.set_parameters([Parameter("sync_queue_size", value="ten")])[0]
    assert not wrong_type.successful
    crossed = node.set_parameters([Parameter("min_depth", value=20.0)])[0]
    assert not crossed.successful and "max_depth" in crossed.reason
    assert node.config.min_depth == pytest.approx(0.1)
    ok = node.set_parameters(
        [
            Parameter("sync_slop", value=0.2),
            Parameter("max_depth", value=5.0),
            Parameter("sync_queue_size", value=3),
        ]
    )
    assert all(r.successful for r in ok)
    assert node.config.sync_slop == pytest.approx(0.2)
    assert node.stream.pairer.slop_s == pytest.approx(0.2) and node.stream.pairer.queue_size == 3
    assert node.pipeline.config.max_depth == pytest.approx(5.0)
    assert node.get_parameter("max_depth").value == pytest.approx(5.0)
    descriptor = node.describe_parameter("sync_slop")
    assert descriptor.floating_point_range[0].to_value == pytest.approx(1.0)
    assert node.describe_parameter("backend").read_only


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("backend", "cuda", "backend"),
        ("sync_queue_size", 0, "sync_queue_size"),
        ("output_resolution", "full", "output_resolution"),
        ("model_path", "/nonexistent/model.onnx", "bridgenet export"),
        ("model_path", "/tmp/model.txt", ".onnx"),
    ],
)
def test_bad_start_up_parameters_fail_fast(
    ros_context: Any, test_model_path: Path, name: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        BridgeNetNode(
            context=ros_context,
            parameter_overrides=node_params(test_model_path, **{name: value}),
        )


# --------------------------------------------------------------------------- diagnostics


def test_diagnostics_report_rates_latency_and_counters(
    make_harness: Callable[..., Any],
) -> None:
    harness = make_harness(diagnostics_period=0.3, namespace="/diag")
    harness.wait_connected()
    for _ in range(3):
        stamp = int(harness.client.get_clock().now().nanoseconds)  # real "now": latency > 0
        harness.publish_pair(*_good_pair(stamp))
        harness.wait_output(stamp)

    def latest_status() -> Any:
        with harness.lock:
            for array in reversed(harness.diagnostics):
                for status in array.status:
                    if status.name == "diag/bridgenet: depth super-resolution":
                        return status
        return None

    harness.wait_for(
        lambda: latest_status() is not None
        and dict((kv.key, kv.value) for kv in latest_status().values)["outputs"] == "3",
        20,
        "diagnostics after 3 outputs",
    )
    values = {kv.key: kv.value for kv in latest_status().values}
    assert values["backend"] == "torch"
    assert values["model"].endswith("bridgenet_test.pt")
    for key in ("rgb rate (Hz)", "depth rate (Hz)", "output rate (Hz)"):
        assert float(values[key]) > 0
    assert 0 < float(values["latency p50 (ms)"]) <= float(values["latency p95 (ms)"])
    assert 0 < float(values["inference p50 (ms)"]) < float(values["latency p95 (ms)"])
    assert values["dropped_busy"] == "0" and values["unsupported_encoding"] == "0"
    # the per-frame breakdown: stages of the node latency, each timed, and their ratio
    stages = {
        name: float(values[f"{name} p50 (ms)"])
        for name in ("wait", "decode", "preprocess", "inference", "postprocess", "encode")
        + ("publish", "other")
    }
    assert all(value >= 0 for name, value in stages.items() if name != "other")
    # every timed stage is a part of each frame's latency, so its median cannot exceed the
    # latency's median (the medians of per-frame sums are not the sums of the medians: under
    # load they differed by 30 %, so there is no equality to test here)
    latency_p50 = float(values["latency p50 (ms)"])
    assert all(v <= latency_p50 + 0.1 for name, v in stages.items() if name != "other")
    assert stages["inference"] > 0
    assert float(values["latency / inference p50"]) > 1.0
    assert "register p50 (ms)" not in values  # no registration hook: no such stage


def test_latency_is_receipt_to_publish_apart_from_stamp_age(
    make_harness: Callable[..., Any],
) -> None:
    harness = make_harness(diagnostics_period=0.3)
    harness.wait_connected()
    # a replayed bag: stamps 1000 s in the past (the issue saw "latency p50 96,036,591,850 ms")
    old = int(harness.client.get_clock().now().nanoseconds) - 1_000_000 * MS
    for k in range(3):
        harness.publish_pair(*_good_pair(old + k * 100 * MS))
        harness.wait_output(old + k * 100 * MS)
    values = dict(harness.node.diagnostic_summary().values)
    assert 0 < float(values["latency p50 (ms)"]) < 5_000  # what the node adds
    assert 999_000 < float(values["stamp age p50 (ms)"]) < 1_100_000  # now - header stamp


def test_stamp_age_follows_sim_time(make_harness: Callable[..., Any]) -> None:
    from rosgraph_msgs.msg import Clock

    harness = make_harness(use_sim_time=True)
    harness.wait_connected()
    pub_clock = harness.client.create_publisher(Clock, "/clock", 10)
    sim_now = 1_000_000 * MS  # 1000 s of simulated time, far from the wall clock
    tick = Clock()
    tick.clock.sec = sim_now // 1_000_000_000

    def clock_reached() -> bool:
        pub_clock.publish(tick)
        return bool(harness.node.get_clock().now().nanoseconds >= sim_now)

    harness.wait_for(clock_reached, 20, "node clock on /clock")
    stamp = sim_now - 2_000 * MS  # recorded 2 s of sim time ago
    harness.publish_pair(*_good_pair(stamp))
    harness.wait_output(stamp)
    assert harness.node.stamp_age_ms.percentile(50) == pytest.approx(2_000.0, abs=1.0)
    assert harness.node.latency_ms.percentile(50) < 5_000  # wall (monotonic) time, small


# --------------------------------------------------------------------------- shutdown


def test_destroy_node_leaves_no_thread(ros_context: Any, test_model_path: Path) -> None:
    before = set(threading.enumerate())
    node = BridgeNetNode(context=ros_context, parameter_overrides=node_params(test_model_path))
    assert node.worker_alive
    started = set(threading.enumerate()) - before
    assert any(t.name == "bridgenet_inference" for t in started)
    node.destroy_node()
    assert not node.worker_alive
    assert not any(t.is_alive() for t in started if t.name == "bridgenet_inference")


def test_frame_in_flight_at_shutdown_is_not_an_inference_failure(test_model_path: Path) -> None:
    from rclpy.context import Context

    from bridgenet_ros.stream.params import NodeConfig
    from bridgenet_ros.stream.pipeline_factory import build_pipeline

    pipeline, _, _ = build_pipeline(NodeConfig(model_path=str(test_model_path), backend="torch"))
    started = threading.Event()
    real_run = pipeline.run

    def slow_run(*args: Any, **kwargs: Any) -> Any:
        started.set()
        time.sleep(1.0)
        return real_run(*args, **kwargs)

    pipeline.run = slow_run  # type: ignore[method-assign]
    context = Context()
    rclpy.init(context=context)
    node = BridgeNetNode(
        context=context,
        pipeline=pipeline,
        parameter_overrides=node_params(test_model_path),
    )
    problems: list[str] = []
    node.stream.warn = problems.append
    rgb_msg, depth_msg = _good_pair(5_000 * MS)
    node._on_rgb(rgb_msg)
    node._on_depth(depth_msg)
    assert started.wait(30)
    rclpy.try_shutdown(context=context)  # Ctrl-C: rclpy shuts the context down first
    deadline = time.monotonic() + 30
    while node._worker.processed + node._worker.failed < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node._worker.processed + node._worker.failed == 1
    assert node.stats()["inference_failed"] == 0
    assert not [p for p in problems if "inference failed" in p]
    node.destroy_node()
    assert not node.worker_alive


def test_second_ctrl_c_during_shutdown_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from bridgenet_ros.ros.node import shutdown

    class Interrupted:
        def destroy_node(self) -> None:
            raise KeyboardInterrupt

    assert shutdown(Interrupted(), 0) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted again" in err and "Traceback" not in err

    class Clean:
        destroyed = False

        def destroy_node(self) -> None:
            self.destroyed = True

    clean = Clean()
    assert shutdown(clean, 2) == 2 and clean.destroyed


def test_shutdown_tolerates_the_signal_handlers_own_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridgenet_ros.ros import node as node_module

    def already(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("failed to shutdown: rcl_shutdown already called")

    monkeypatch.setattr(node_module.rclpy, "try_shutdown", already)
    monkeypatch.setattr(node_module.rclpy, "ok", lambda *a, **k: False)
    assert node_module.shutdown(None, 0) == 0  # the context is gone: nothing left to do
    monkeypatch.setattr(node_module.rclpy, "ok", lambda *a, **k: True)
    with pytest.raises(RuntimeError, match="already called"):  # a real failure still shows
        node_module.shutdown(None, 0)


def test_align_depth_auto_reports_the_applied_offset(
    make_harness: Callable[..., Any],
) -> None:
    harness = make_harness(align_depth="auto")
    harness.wait_connected()
    assert harness.node.last_align_offset is None  # nothing published yet
    rgb, depth_mm = scene(2)
    stamp = _now_ns(harness)
    harness.publish_pair(image_msg(rgb, "bgr8", stamp), image_msg(depth_mm, "16UC1", stamp))
    harness.wait_output(stamp)
    harness.wait_for(lambda: harness.node.last_align_offset is not None, 10, "align offset")
    values = dict(harness.node.diagnostic_summary().values)
    dy, dx = (float(v) for v in values["align offset (px)"].split(","))
    assert abs(dy) <= 10 and abs(dx) <= 10  # within align_max_shift_px


def test_flat_guard_parameter_reaches_the_pipeline(
    make_harness: Callable[..., Any],
) -> None:
    harness = make_harness(flat_guard=True)
    harness.wait_connected()
    assert harness.node.pipeline.config.flat_guard
    assert harness.node.get_parameter("flat_guard").value is True
    rgb, depth_mm = scene(2)
    stamp = _now_ns(harness)
    harness.publish_pair(image_msg(rgb, "bgr8", stamp), image_msg(depth_mm, "16UC1", stamp))
    harness.wait_output(stamp)  # the guarded pipeline publishes like the plain one
