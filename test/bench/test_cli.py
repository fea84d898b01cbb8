# SPDX-License-Identifier: Apache-2.0
"""CLI round trips: make-bag -> bench (sqlite3 and MCAP), report consistency, demo smoke run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bridgenet_ros.cli.main import main

pytestmark = pytest.mark.slow


def check_report(report_dir: Path, frames: int) -> dict:
    report = json.loads((report_dir / "report.json").read_text())
    assert report["frames"] == frames == len(report["per_frame"])
    assert report["backend"] == "torch"
    lat = report["latency_ms"]
    assert lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    stages = lat["stages"]
    assert set(stages) == {"decode", "preprocess", "inference", "postprocess", "encode"}
    assert sum(stages.values()) == pytest.approx(lat["mean"], rel=1e-6)
    assert report["throughput_fps"] == pytest.approx(frames / report["replay_s"], rel=1e-6)
    pairs = report["pairs"]
    assert pairs["made"] + pairs["dropped"] == pairs["rgb_messages"] == frames
    acc = report["accuracy"]
    assert acc is not None and acc["frames"] == frames
    for key in ("rmse_m", "mae_m", "bicubic_rmse_m", "bicubic_mae_m"):
        assert math.isfinite(acc[key]) and acc[key] > 0
    assert acc["rmse_m"] == pytest.approx(
        sum(f["rmse_m"] for f in report["per_frame"]) / frames, rel=1e-9
    )
    assert report["peak_memory_mb"] > 0
    for name in (
        "latency_hist.png",
        "latency_timeline.png",
        "error_per_frame.png",
        "contact_sheet.png",
        "report.md",
    ):
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert str(path) in report["files"].values()
    md = (report_dir / "report.md").read_text()
    assert "| bicubic |" in md and "contact_sheet.png" in md
    return report


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_make_bag_then_bench(
    storage: str, tmp_path: Path, test_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / "bag"
    assert (
        main(
            [
                "make-bag",
                "--data",
                "synthetic",
                "--out",
                str(bag),
                "--limit",
                "4",
                "--height",
                "96",
                "--width",
                "128",
                "--scale",
                "4",
                "--storage",
                storage,
                "--no-progress",
            ]
        )
        == 0
    )
    assert "4 frames" in capsys.readouterr().out
    report_dir = tmp_path / "report"
    code = main(
        [
            "bench",
            "--bag",
            str(bag),
            "--model",
            str(test_checkpoint),
            "--backend",
            "torch",
            "--report",
            str(report_dir),
            "--out-bag",
            str(tmp_path / "out"),
            "--samples",  # one contact-sheet row (its drawing is most of the report's time)
            "1",
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "BridgeNet" in out and "bicubic" in out and "throughput" in out
    check_report(report_dir, 4)
    assert (tmp_path / "out" / "metadata.yaml").is_file()


def test_make_bag_with_noise_has_holes(tmp_path: Path) -> None:
    import numpy as np
    from rosbags.highlevel import AnyReader

    from bridgenet_ros.stream.codec import decode_depth_m

    bag = tmp_path / "bag"
    assert (
        main(
            [
                "make-bag",
                "--data",
                "synthetic",
                "--out",
                str(bag),
                "--limit",
                "2",
                "--height",
                "96",
                "--width",
                "128",
                "--noise",
                "--no-progress",
            ]
        )
        == 0
    )
    with AnyReader([bag]) as reader:
        conns = [c for c in reader.connections if c.topic.endswith("image_rect_raw")]
        depths = [
            decode_depth_m(reader.deserialize(raw, c.msgtype))
            for c, _, raw in reader.messages(conns)
        ]
    assert len(depths) == 2 and any(bool((d == 0).any()) for d in depths)
    assert all(np.isfinite(d).all() for d in depths)


def test_bench_bad_bag_exit_codes(
    tmp_path: Path, test_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "bench",
            "--bag",
            str(tmp_path / "missing"),
            "--model",
            str(test_checkpoint),
            "--backend",
            "torch",
            "--report",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    assert code == 1
    assert "error: bag" in capsys.readouterr().err
    bag = tmp_path / "bag"
    assert (
        main(
            [
                "make-bag",
                "--data",
                "synthetic",
                "--out",
                str(bag),
                "--limit",
                "2",
                "--height",
                "96",
                "--width",
                "128",
                "--no-progress",
            ]
        )
        == 0
    )
    code = main(
        [
            "bench",
            "--bag",
            str(bag),
            "--model",
            str(test_checkpoint),
            "--backend",
            "torch",
            "--rgb-topic",
            "/nope",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "no rgb topic /nope" in err and "Traceback" not in err
    code = main(
        [
            "bench",
            "--bag",
            str(bag),
            "--model",
            str(tmp_path / "none.pt"),
            "--backend",
            "torch",
            "--no-progress",
        ]
    )
    assert code == 2 and "does not exist" in capsys.readouterr().err


def test_make_bag_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["make-bag", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "b")]) == 2
    )
    assert "neither 'synthetic'" in capsys.readouterr().err
    assert (
        main(["make-bag", "--data", "synthetic", "--out", str(tmp_path / "b"), "--scale", "0.5"])
        == 2
    )


def test_demo_smoke(
    tmp_path: Path, test_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo_out"
    args = [
        "demo",
        "--out",
        str(out),
        "--model",
        str(test_checkpoint),
        "--frames",
        "3",
        "--height",
        "96",
        "--width",
        "128",
        "--no-progress",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "BridgeNet" in text and "bicubic" in text and "frames/s" in text
    assert str(out / "report" / "report.md") in text
    check_report(out / "report", 3)
    assert (out / "sample_bag" / "metadata.yaml").is_file()
    assert (out / "sample_bag_sr" / "metadata.yaml").is_file()
    # a second run replaces its own outputs instead of failing on the existing bag
    assert main([a if a != "3" else "2" for a in args]) == 0
    assert json.loads((out / "report" / "report.json").read_text())["frames"] == 2


def test_demo_without_model_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bridgenet_ros.cli.demo as demo

    monkeypatch.setattr(demo, "DEFAULT_MODELS", (tmp_path / "a.onnx", tmp_path / "a.pt"))
    assert main(["demo", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no shipped model" in err and "--model" in err


def test_make_bag_from_folder_with_real_lr(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image
    from rosbags.highlevel import AnyReader

    from bridgenet_ros.stream.codec import image_msg_to_array

    rng = np.random.default_rng(0)
    for sub in ("rgb", "depth", "lr"):
        (tmp_path / "set" / sub).mkdir(parents=True)
    lr_mm = rng.integers(500, 4000, (24, 32), dtype=np.uint16)
    for stem in ("a", "b"):
        Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(
            tmp_path / "set" / "rgb" / f"{stem}.png"
        )
        Image.fromarray(rng.integers(500, 4000, (96, 128), dtype=np.uint16)).save(
            tmp_path / "set" / "depth" / f"{stem}.png"
        )
        Image.fromarray(lr_mm).save(tmp_path / "set" / "lr" / f"{stem}.png")
    bag = tmp_path / "bag"
    assert (
        main(
            [
                "make-bag",
                "--data",
                str(tmp_path / "set"),
                "--out",
                str(bag),
                "--lr-dir",
                "lr",
                "--depth-scale",
                "0.001",
                "--no-progress",
            ]
        )
        == 0
    )
    with AnyReader([bag]) as reader:
        conns = [c for c in reader.connections if c.topic.endswith("image_rect_raw")]
        depths = [
            image_msg_to_array(reader.deserialize(raw, c.msgtype))
            for c, _, raw in reader.messages(conns)
        ]
    assert len(depths) == 2
    np.testing.assert_array_equal(depths[0], lr_mm)  # the real LR, millimetres unchanged


@pytest.mark.parametrize("name", ["nyu_v2", "middlebury"])
def test_make_bag_from_shared_sets(name: str, shared_data: Path, tmp_path: Path) -> None:
    from rosbags.highlevel import AnyReader

    if not (shared_data / name).is_dir():
        pytest.skip(f"{shared_data / name} is absent")
    bag = tmp_path / "bag"
    assert (
        main(
            [
                "make-bag",
                "--data",
                name,
                "--out",
                str(bag),
                "--limit",
                "1",
                "--scale",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    with AnyReader([bag]) as reader:
        encodings = {
            c.topic: reader.deserialize(raw, c.msgtype).encoding
            for c, _, raw in reader.messages()
            if c.msgtype == "sensor_msgs/msg/Image"
        }
    # metric sets are 16UC1 millimetres; the unit-less Middlebury maps stay raw 32FC1
    expected = "32FC1" if name == "middlebury" else "16UC1"
    assert encodings["/camera/camera/depth/image_rect_raw"] == expected


def test_bench_sync_slop_help_and_unwritable_outputs(
    tmp_path: Path, test_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "ROS 1 .bag" in help_text and "--sync-slop" in help_text
    bag = tmp_path / "bag"
    make = ["make-bag", "--data", "synthetic", "--limit", "2", "--no-progress"]
    assert main([*make, "--height", "96", "--width", "128", "--out", str(bag)]) == 0
    capsys.readouterr()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    # unwritable outputs: one line, exit 2 (usage error), nothing run
    assert main([*make, "--out", str(a_file / "bag")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and err.count("\n") == 1 and "Traceback" not in err
    bench = ["bench", "--bag", str(bag), "--model", str(test_checkpoint), "--backend", "torch"]
    bench += ["--no-progress"]
    assert main([*bench, "--report", str(a_file / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --report") and "is a file" in err and err.count("\n") == 1
    report = str(tmp_path / "r")
    assert main([*bench, "--report", report, "--out-bag", str(a_file / "o")]) == 2
    assert capsys.readouterr().err.startswith("error: --out-bag")
    # make-bag's depth is 2..6 ms after its colour: a 1 ms slop pairs nothing, 20 ms all
    assert main([*bench, "--report", report, "--sync-slop", "0.001"]) == 1
    err = capsys.readouterr().err
    assert "no RGB/depth pair" in err and "stamp gap" in err and "--sync-slop" in err
    assert main([*bench, "--report", report, "--sync-slop", "0.02", "--samples", "1"]) == 0
    saved = json.loads((tmp_path / "r" / "report.json").read_text())
    assert saved["node_config"]["sync_slop"] == 0.02 and saved["frames"] == 2
    assert main([*bench, "--report", report, "--sync-slop", "5"]) == 2  # the node's range
    assert "sync_slop" in capsys.readouterr().err


def test_bench_flat_guard_reaches_the_stream(tmp_path: Path, test_checkpoint: Path) -> None:
    """``bench --flat-guard``: the node parameter in the report, and other depth than without."""
    bag = tmp_path / "bag"
    args = ["make-bag", "--data", "synthetic", "--out", str(bag), "--limit", "2"]
    assert main([*args, "--height", "96", "--width", "128", "--scale", "4", "--no-progress"]) == 0
    reports = {}
    for name, extra in (("plain", []), ("guard", ["--flat-guard"])):
        report_dir = tmp_path / name
        bench = ["bench", "--bag", str(bag), "--model", str(test_checkpoint), "--backend"]
        bench += ["torch", "--report", str(report_dir), "--samples", "0", "--no-progress"]
        assert main([*bench, *extra]) == 0
        reports[name] = json.loads((report_dir / "report.json").read_text())
    assert reports["guard"]["node_config"]["flat_guard"] is True
    assert reports["plain"]["node_config"]["flat_guard"] is False
    assert reports["guard"]["accuracy"]["rmse_m"] != reports["plain"]["accuracy"]["rmse_m"]
