# SPDX-License-Identifier: Apache-2.0
"""Rate meter, window percentiles and the diagnostic summary."""

from __future__ import annotations

import math

import pytest

from bridgenet_ros.ros.diagnostics import (
    ERROR,
    NODE_STAGES,
    OK,
    WARN,
    RateMeter,
    StageStats,
    WindowStats,
    summarize,
    to_diagnostic_array,
)


def test_rate_meter_window() -> None:
    meter = RateMeter(window_s=1.0)
    for k in range(11):
        meter.tick(100.0 + k * 0.1)  # 10 Hz
    assert meter.rate(101.0) == pytest.approx(10.0)
    assert meter.total == 11
    assert meter.rate(105.0) == 0.0  # all expired


def test_window_stats_percentiles() -> None:
    stats = WindowStats(size=100)
    assert math.isnan(stats.percentile(50))
    for value in range(1, 201):
        stats.add(value)
    assert len(stats) == 100  # oldest 100 gone
    assert stats.percentile(50) == pytest.approx(150.5)
    assert stats.percentile(95) == pytest.approx(195.05)


def _summary(**kw: object) -> object:
    latency, inference, pipeline = WindowStats(), WindowStats(), WindowStats()
    latency.add(30.0)
    inference.add(20.0)
    pipeline.add(25.0)
    args = dict(new_outputs=5, new_inputs=10, new_problems=0)
    args.update(kw)
    return summarize(
        rgb_rate=30.0,
        depth_rate=30.0,
        output_rate=15.0,
        latency_ms=latency,
        inference_ms=inference,
        pipeline_ms=pipeline,
        counters={"dropped_busy": 3},
        backend="onnxruntime",
        model="m.onnx",
        **args,
    )


def test_summary_levels_and_values() -> None:
    ok = _summary()
    assert ok.level == OK and ok.message == "running"
    values = dict(ok.values)
    assert values["latency p50 (ms)"] == "30.0" and values["inference p50 (ms)"] == "20.0"
    assert values["dropped_busy"] == "3" and values["backend"] == "onnxruntime"
    assert _summary(new_inputs=0).level == WARN
    assert _summary(new_outputs=0).level == ERROR
    assert _summary(new_problems=2).level == WARN


def test_align_offset_shown_only_when_aligning() -> None:
    assert "align offset (px)" not in dict(_summary().values)
    values = dict(_summary(align_offset_px=(2.04, -3.5)).values)  # type: ignore[arg-type]
    assert values["align offset (px)"] == "2.0, -3.5"


def test_diagnostic_array_message() -> None:
    pytest.importorskip("diagnostic_msgs", reason="diagnostic_msgs (ROS wheels) not installed")
    from builtin_interfaces.msg import Time

    array = to_diagnostic_array(
        _summary(new_problems=1), name="bridgenet: x", hardware_id="cpu", stamp=Time(sec=3)
    )
    status = array.status[0]
    assert status.level == bytes([WARN]) and status.name == "bridgenet: x"
    assert array.header.stamp.sec == 3
    assert {kv.key for kv in status.values} >= {"rgb rate (Hz)", "latency p95 (ms)", "model"}


def test_stamp_age_apart_from_latency_and_silence_names_the_gap() -> None:
    latency, age = WindowStats(), WindowStats()
    latency.add(12.0)
    age.add(96_036_591_850.0)  # a replayed bag's stamps: the "latency" figure
    silent = summarize(
        rgb_rate=30.0,
        depth_rate=30.0,
        output_rate=0.0,
        latency_ms=latency,
        stamp_age_ms=age,
        inference_ms=WindowStats(),
        pipeline_ms=WindowStats(),
        counters={"no_partner_in_slop": 40, "pairing_nearest_gap_ms": 102},
        backend="torch",
        model="m.pt",
        new_outputs=0,
        new_inputs=60,
        new_problems=40,
    )
    values = dict(silent.values)
    assert values["latency p50 (ms)"] == "12.0"
    assert values["stamp age p50 (ms)"] == "96036591850.0"
    assert silent.level == ERROR and "nearest RGB/depth stamp gap 102 ms" in silent.message
    assert "stamp gap" not in _summary(new_outputs=0).message  # no gap seen: plain message


def test_stage_stats_report_p50s_and_the_per_frame_ratio() -> None:
    stages = StageStats(NODE_STAGES, size=10)
    assert stages.values() == [("latency / inference p50", "nan")]
    for k in range(3):
        inference = 100.0 + 10 * k
        stages.add(
            {"decode": 0.5, "inference": inference, "publish": 1.0 + k, "x": 9.0}, 1.05 * inference
        )
    stages.add({"decode": 0.5, "inference": 0.0}, 3.0)  # no network run: no ratio
    values = dict(stages.values())
    assert values["decode p50 (ms)"] == "0.50" and values["publish p50 (ms)"] == "2.00"
    assert values["inference p50 (ms)"] == "105.00"
    assert values["latency / inference p50"] == "1.050"
    assert "x p50 (ms)" not in values and "wait p50 (ms)" not in values  # unknown / no samples
    latency, inference, pipeline = WindowStats(), WindowStats(), WindowStats()
    summary = summarize(
        rgb_rate=1.0,
        depth_rate=1.0,
        output_rate=1.0,
        latency_ms=latency,
        inference_ms=inference,
        pipeline_ms=pipeline,
        counters={},
        backend="onnxruntime",
        model="m.onnx",
        new_outputs=1,
        new_inputs=2,
        new_problems=0,
        stages=stages,
    )
    keys = [key for key, _ in summary.values]
    assert keys.index("pipeline p50 (ms)") < keys.index("decode p50 (ms)") < keys.index("backend")
