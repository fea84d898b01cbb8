# SPDX-License-Identifier: Apache-2.0
"""Latency/jitter/error statistics and the report dictionary (numerics, no model)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.bench.replay import FrameRecord, ReplayResult
from bridgenet_ros.bench.report import build_report, json_safe, render_markdown, write_report
from bridgenet_ros.bench.stats import depth_errors, latency_summary, rate_and_jitter


def test_latency_summary_percentiles() -> None:
    s = latency_summary(list(range(1, 101)))
    assert s["p50"] == pytest.approx(50.5) and s["p90"] == pytest.approx(90.1)
    assert s["p99"] == pytest.approx(99.01) and s["max"] == 100 and s["mean"] == 50.5
    assert all(math.isnan(v) for v in latency_summary([]).values())


def test_rate_and_jitter() -> None:
    steady = rate_and_jitter([0.0, 0.1, 0.2, 0.3, 0.4])
    assert steady["rate_hz"] == pytest.approx(10.0)
    assert steady["jitter_max_ms"] == pytest.approx(0.0, abs=1e-9)
    uneven = rate_and_jitter([0.0, 0.1, 0.25, 0.3])  # intervals 100, 150, 50 ms
    assert uneven["jitter_mean_ms"] == pytest.approx(75.0)  # |50| and |-100|
    assert uneven["jitter_max_ms"] == pytest.approx(100.0)
    assert math.isnan(rate_and_jitter([1.0])["rate_hz"])


def test_depth_errors_ignore_invalid_pixels() -> None:
    gt = np.array([[1.0, 2.0], [np.nan, 0.0]], np.float32)
    pred = np.array([[1.5, 1.0], [3.0, 3.0]], np.float32)
    rmse, mae, n = depth_errors(pred, gt)
    assert n == 2 and mae == pytest.approx(0.75) and rmse == pytest.approx(math.sqrt(0.625))
    pred[0, 0] = np.nan
    assert depth_errors(pred, gt)[2] == 1
    assert math.isnan(depth_errors(np.full((2, 2), np.nan), gt)[0])


def fake_result(has_gt: bool = True) -> ReplayResult:
    frames = []
    for i in range(4):
        stages = {
            "decode": 1.0,
            "preprocess": 2.0,
            "inference": 10.0 + i,
            "postprocess": 2.0,
            "encode": 1.0,
        }
        frames.append(
            FrameRecord(
                i,
                1000 + i,
                stages,
                sum(stages.values()),
                0.02 * i,
                *((0.1 * (i + 1), 0.05, 0.2, 0.1) if has_gt else ()),
            )
        )
    return ReplayResult(
        Path("bag"),
        frames,
        [],
        5,
        5,
        5 if has_gt else 0,
        4,
        {"rgb_corrupt": 1},
        0.08,
        0.01,
        100.0,
        0.15,
        has_gt,
        None,
    )


def test_build_report_schema_and_arithmetic(tmp_path: Path) -> None:
    report = build_report(fake_result(), backend="torch", model="m.pt")
    assert report["frames"] == 4 and report["pairs"] == {
        "made": 4,
        "dropped": 1,
        "processed": 4,
        "rgb_messages": 5,
        "depth_messages": 5,
        "gt_messages": 5,
    }
    assert report["throughput_fps"] == pytest.approx(4 / 0.08)
    assert report["latency_ms"]["stages"]["inference"] == pytest.approx(11.5)
    assert report["inference_bound_fps"] == pytest.approx(1000 / 11.5)
    assert report["pipeline_bound_fps"] == pytest.approx(1000 / 15.5)
    assert report["accuracy"]["rmse_m"] == pytest.approx(0.25)
    assert report["accuracy"]["bicubic_rmse_m"] == pytest.approx(0.2)
    files = write_report(tmp_path, report)  # no result: JSON and markdown only
    assert set(files) == {"report_md", "report_json"}
    assert json.loads((tmp_path / "report.json").read_text())["skipped"] == {"rgb_corrupt": 1}
    assert "| BridgeNet | 0.2500 |" in (tmp_path / "report.md").read_text()


def test_report_without_ground_truth() -> None:
    report = build_report(fake_result(has_gt=False), backend="torch", model="m.pt")
    assert report["accuracy"] is None
    assert "accuracy not measured" in render_markdown(report)


def test_json_safe_turns_nan_into_null() -> None:
    data = json_safe({"a": float("nan"), "b": [np.float32(1.5), np.int64(3)], "c": Path("x")})
    assert json.dumps(data, allow_nan=False) == '{"a": null, "b": [1.5, 3], "c": "x"}'
