# SPDX-License-Identifier: Apache-2.0
"""FrameStream: header check -> pair -> register -> decode -> pipeline -> encode, by reason."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.stream.frame_stream import DEPTH, PROBLEMS, RGB, FrameStream
from bridgenet_ros.stream.params import NodeConfig

MS = 1_000_000
T0 = 5_000 * MS
RGB_HW, DEPTH_HW = (48, 64), (12, 16)


def scene() -> tuple[np.ndarray, np.ndarray]:
    """RGB noise and a 1..3 m millimetre ramp."""
    rgb = np.random.default_rng(0).integers(0, 255, (*RGB_HW, 3), dtype=np.uint8)
    ramp = np.linspace(1000, 3000, DEPTH_HW[1]).astype(np.uint16)
    return rgb, np.tile(ramp, (DEPTH_HW[0], 1))


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_stream(pipeline: Any, **config: Any) -> tuple[FrameStream, list[str], Clock]:
    warnings: list[str] = []
    clock = Clock()
    stream = FrameStream(pipeline, NodeConfig(**config), warn=warnings.append, clock=clock)
    return stream, warnings, clock


def test_good_pair_is_processed_with_scaled_camera_info(
    stream_pipeline: Any, msgs: SimpleNamespace
) -> None:
    stream, warnings, clock = make_stream(stream_pipeline)
    rgb, depth_mm = scene()
    stream.set_camera_info(msgs.info(*RGB_HW, fx=50.0))
    assert stream.offer(RGB, msgs.image(rgb, "rgb8", T0)) is None  # queued
    clock.now += 0.004
    frame = stream.offer(DEPTH, msgs.image(depth_mm, "mono16", T0 + 7 * MS))  # mono16 = 16UC1
    assert frame is not None
    assert frame.rgb.stamp_ns == T0 and frame.depth.stamp_ns == T0 + 7 * MS
    assert frame.receipt_s == pytest.approx(100.004)  # the completing message's receipt
    out = stream.process(frame, encode_mde=True)
    assert out is not None
    assert (out.depth_sr.height, out.depth_sr.width, out.depth_sr.encoding) == (48, 64, "32FC1")
    sr = np.frombuffer(out.depth_sr.data, dtype=np.float32).reshape(RGB_HW)
    assert 1.5 < float(np.nanmedian(sr)) < 2.5  # metres of the mono16 millimetre ramp
    assert out.camera_info is not None and out.camera_info.k[0, 0] == pytest.approx(50.0)
    assert set(out.timings_ms) == {"decode", "preprocess", "inference", "postprocess", "encode"}
    assert not warnings and all(stream.counters[name] == 0 for name in PROBLEMS)
    assert stream.stats()["pairs"] == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("encoding", "unsupported_encoding"),
        ("length", "bad_data_length"),
        ("oversized", "oversized_image"),
        ("step", "bad_image_size"),
    ],
)
def test_bad_header_never_takes_a_partner(
    stream_pipeline: Any, msgs: SimpleNamespace, case: str, reason: str
) -> None:
    stream, warnings, _ = make_stream(stream_pipeline, max_input_pixels=RGB_HW[0] * RGB_HW[1])
    rgb, depth_mm = scene()
    bad = msgs.image(depth_mm, "16UC1", T0 + 2 * MS)
    if case == "encoding":
        bad.encoding = "8UC3"
    elif case == "length":
        bad.data = bad.data[:-2]
    elif case == "oversized":
        bad = msgs.image(np.zeros((60, 60), np.uint16), "16UC1", T0 + 2 * MS)
    else:
        bad.step = 2
    assert stream.offer(DEPTH, bad) is None
    assert stream.counters[reason] == 1 and reason in warnings[0]
    # the RGB finds no partner: the bad depth was never queued
    assert stream.offer(RGB, msgs.image(rgb, "rgb8", T0)) is None
    assert stream.pairer.queued(DEPTH) == 0
    assert stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0 + 3 * MS)) is not None


def test_registrar_gets_metres_and_depth_intrinsics(
    stream_pipeline: Any, msgs: SimpleNamespace
) -> None:
    calls: list[tuple[np.ndarray, Any]] = []

    def registrar(depth_m: np.ndarray, intrinsics: Any) -> np.ndarray:
        calls.append((depth_m.copy(), intrinsics))
        return np.full_like(depth_m, 4.0)  # "registered": a constant 4 m plane

    stream, _, _ = make_stream(stream_pipeline)
    stream.registrar = registrar
    stream.set_depth_camera_info(msgs.info(*DEPTH_HW, fx=12.0))
    rgb, depth_mm = scene()
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0))
    frame = stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0))
    out = stream.process(frame)
    assert out is not None and len(calls) == 1
    depth_m, intrinsics = calls[0]
    np.testing.assert_allclose(depth_m, depth_mm / 1000.0, rtol=1e-6)
    assert intrinsics.k[0, 0] == pytest.approx(12.0) and intrinsics.width == DEPTH_HW[1]
    np.testing.assert_array_equal(out.depth_lr, 4.0)  # the pipeline saw the registered depth
    assert out.depth_decoded is not None  # the depth before the hook, kept (bench reference)
    np.testing.assert_allclose(out.depth_decoded, depth_mm / 1000.0, rtol=1e-6)
    assert "register" in out.timings_ms and out.depth_mde is None  # publish_mde is false


def test_registrar_error_drops_the_pair_counted(
    stream_pipeline: Any, msgs: SimpleNamespace
) -> None:
    from bridgenet_ros.errors import DataError

    def registrar(depth_m: np.ndarray, intrinsics: Any) -> np.ndarray:
        if intrinsics is None:
            raise DataError("no depth/camera_info yet")
        return depth_m

    stream, warnings, _ = make_stream(stream_pipeline)
    stream.registrar = registrar
    rgb, depth_mm = scene()
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0))
    assert stream.process(stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0))) is None
    assert stream.counters["registration_failed"] == 1 and "no depth/camera_info" in warnings[0]
    stream.set_depth_camera_info(msgs.info(*DEPTH_HW, fx=12.0))
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0 + 100 * MS))
    frame = stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0 + 100 * MS))
    assert stream.process(frame) is not None


def test_stamps_beyond_slop_are_explained(stream_pipeline: Any, msgs: SimpleNamespace) -> None:
    stream, warnings, clock = make_stream(stream_pipeline, sync_slop=0.05)
    rgb, depth_mm = scene()
    assert stream.stats()["pairing_nearest_gap_ms"] == -1
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0))
    stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0 + 102 * MS))
    stats = stream.stats()
    assert stats["no_partner_in_slop"] == 1 and stats["pairing_nearest_gap_ms"] == 102
    assert "102.0 ms away" in warnings[0] and "sync_slop=50.0 ms" in warnings[0]
    for k in range(1, 4):  # throttled: counted every time, warned once per period
        stream.offer(RGB, msgs.image(rgb, "rgb8", T0 + k * 300 * MS))
    assert stream.counters["no_partner_in_slop"] == 4 and len(warnings) == 1
    clock.now += 6.0
    stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0 + 1500 * MS))
    assert len(warnings) == 2 and "[no_partner_in_slop: 5 so far]" in warnings[1]
    assert stats["pairs"] == 0


def test_camera_info_problems(stream_pipeline: Any, msgs: SimpleNamespace) -> None:
    stream, warnings, _ = make_stream(stream_pipeline)
    rgb, depth_mm = scene()

    def run(stamp: int) -> Any:
        stream.offer(RGB, msgs.image(rgb, "rgb8", stamp))
        return stream.process(stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", stamp)))

    assert run(T0).camera_info is None and stream.counters["missing_camera_info"] == 1
    zero = msgs.info(*RGB_HW, fx=0.0)
    zero.k, zero.p = [0.0] * 9, [0.0] * 12
    stream.set_camera_info(zero)
    assert stream.counters["zero_camera_info"] == 1 and "K is all zeros" in warnings[-1]
    assert run(T0 + 100 * MS).camera_info is None
    stream.set_camera_info(msgs.info(480, 640, fx=500.0))
    assert run(T0 + 200 * MS).camera_info is None
    assert stream.counters["camera_info_mismatch"] == 1


def test_bad_pairs_after_pairing_are_counted(stream_pipeline: Any, msgs: SimpleNamespace) -> None:
    stream, _, _ = make_stream(stream_pipeline)
    rgb, _ = scene()
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0))
    frame = stream.offer(DEPTH, msgs.image(np.full((12, 48), 1500, np.uint16), "16UC1", T0))
    assert stream.process(frame) is None and stream.counters["size_mismatch"] == 1
    stream.offer(RGB, msgs.image(rgb, "rgb8", T0 + 100 * MS))
    frame = stream.offer(DEPTH, msgs.image(np.zeros(DEPTH_HW, np.uint16), "16UC1", T0 + 100 * MS))
    out = stream.process(frame)
    assert out is not None and stream.counters["all_invalid_depth"] == 1
    assert np.isnan(np.frombuffer(out.depth_sr.data, dtype=np.float32)).all()


def test_configure_changes_pairing_and_depth_limits(
    stream_pipeline: Any, msgs: SimpleNamespace
) -> None:
    stream, _, _ = make_stream(stream_pipeline)
    before = stream_pipeline.config
    try:
        stream.configure(NodeConfig(sync_slop=0.2, sync_queue_size=3, max_depth=5.0))
        assert stream.pairer.slop_s == pytest.approx(0.2) and stream.pairer.queue_size == 3
        assert stream_pipeline.config.max_depth == pytest.approx(5.0)
        rgb, depth_mm = scene()
        stream.offer(RGB, msgs.image(rgb, "rgb8", T0))
        assert stream.offer(DEPTH, msgs.image(depth_mm, "16UC1", T0 + 150 * MS)) is not None
    finally:
        stream_pipeline.config = before
