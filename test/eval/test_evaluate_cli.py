# SPDX-License-Identifier: Apache-2.0
"""``bridgenet eval`` on tiny generated data: exit codes, the JSON schema, numbers, PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.cli.main import main
from bridgenet_ros.data.degradation import bicubic_downsample
from bridgenet_ros.eval.baselines import GuidedParams, PassThroughBackend, save_guided_params
from bridgenet_ros.eval.metrics import compute_metrics
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

H, W = 48, 64


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_set")
    (root / "rgb").mkdir()
    (root / "depth").mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        y, x = np.mgrid[0:H, 0:W]
        depth_mm = 1000 + 10 * x + 5 * y + 300 * (x > 20 + 5 * i)
        rgb = (rng.random((H, W, 3)) * 60 + 100 * (x > 20 + 5 * i)[..., None]).astype(np.uint8)
        Image.fromarray(rgb).save(root / "rgb" / f"2020010{i}120000.png")
        Image.fromarray(depth_mm.astype(np.uint16)).save(root / "depth" / f"2020010{i}120000.png")
    return root


def test_eval_cli_json_schema_and_bicubic_numbers(
    tiny_set: Path, test_checkpoint: Path, tmp_path: Path
) -> None:
    guided = tmp_path / "guided.yaml"
    save_guided_params(guided, [GuidedParams(4.0, 2, 0.01)], "test")
    out = tmp_path / "res.json"
    vis = tmp_path / "vis"
    rc = main(
        [
            "eval",
            "--data",
            str(tiny_set),
            "--scale",
            "4",
            "--depth-scale",
            "0.1",
            "--crop",
            "2",
            "--model",
            str(test_checkpoint),
            "--baselines",
            "bicubic,guided",
            "--guided-config",
            str(guided),
            "--json",
            str(out),
            "--vis",
            str(vis),
        ]
    )
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["scale"] == 4.0 and report["crop"] == 2 and report["unit"] == "cm"
    assert set(report["methods"]) == {"bicubic", "guided", "bridgenet_test"}
    for values in report["methods"].values():
        assert set(values) >= {"rmse", "mae", "mad", "delta1", "absrel", "n_images"}
        assert values["n_images"] == 3
    assert len(report["images"]) == 3
    assert set(report["images"][0]) >= {"name", "bicubic", "guided", "bridgenet_test"}
    assert set(report["images"][0]["bicubic"]) >= {"rmse", "mae", "mad", "delta1", "absrel"}
    # bicubic = the pipeline's depth_lr_up, scored in centimetres: recompute one image by hand
    rgb = np.asarray(Image.open(tiny_set / "rgb" / "20200100120000.png"))
    depth_cm = (
        np.asarray(Image.open(tiny_set / "depth" / "20200100120000.png")).astype(np.float32) * 0.1
    )
    up = DepthSRPipeline(PassThroughBackend()).run(rgb, bicubic_downsample(depth_cm, 4.0))
    expected = compute_metrics(up.depth_lr_up, depth_cm, crop=2, mask=np.isfinite(up.depth_sr))
    first = next(i for i in report["images"] if i["name"] == "20200100120000")
    assert first["bicubic"]["rmse"] == pytest.approx(expected.rmse, rel=1e-4)
    assert first["bicubic"]["rmse"] > 0.1  # a 30 cm step blurred by x4: clearly non-zero
    pngs = sorted(p.name for p in vis.glob("*.png"))
    assert len(pngs) == 4 and pngs[0].startswith("best1_")


def test_eval_cli_usage_errors(tiny_set: Path) -> None:
    # neither --scale nor --lr-dir: configuration error, exit 2
    assert main(["eval", "--data", str(tiny_set), "--baselines", "bicubic"]) == 2
    assert main(["eval", "--data", str(tiny_set), "--scale", "2", "--baselines", "cubic"]) == 2
    # unreadable data: runtime error, exit 1
    assert (
        main(
            ["eval", "--data", str(tiny_set / "missing"), "--scale", "2", "--baselines", "bicubic"]
        )
        == 1
    )


def test_sensor_model_protocol_degrades_lr_reproducibly(tiny_set: Path, tmp_path: Path) -> None:
    """``--sensor-model``: noisy LR (noise in metres, scores in any unit); same seed, same LR."""
    from bridgenet_ros.data.degradation import SensorModelConfig
    from bridgenet_ros.eval.evaluate import load_eval_frames

    noisy = SensorModelConfig(
        noise_a_m=0.01,
        noise_b_per_m=0.0,
        random_dropout=0.0,
        grazing_dropout=0.0,
        flying_pixel_prob=0.0,
        dark_dropout=0.0,
    )
    clean, unit = load_eval_frames(str(tiny_set), scale=4.0, depth_scale=0.1)
    first, _ = load_eval_frames(str(tiny_set), scale=4.0, depth_scale=0.1, sensor_model=noisy)
    again, _ = load_eval_frames(str(tiny_set), scale=4.0, depth_scale=0.1, sensor_model=noisy)
    other, _ = load_eval_frames(
        str(tiny_set), scale=4.0, depth_scale=0.1, sensor_model=noisy, sensor_seed=1
    )
    assert unit == "cm"
    diff = first[0].depth_lr - clean[0].depth_lr
    # sigma 1 cm (noise applied in metres, scores in cm) plus 1 mm quantization
    assert 0.7 < float(diff.std()) < 1.3, float(diff.std())
    np.testing.assert_array_equal(first[0].depth_lr, again[0].depth_lr)
    assert not np.array_equal(first[0].depth_lr, other[0].depth_lr)
    np.testing.assert_array_equal(first[0].depth_hr, clean[0].depth_hr)  # GT untouched
    yaml_path = tmp_path / "sensor.yaml"
    yaml_path.write_text("noise_a_m: 0.01\nnoise_b_per_m: 0.0\n")
    out = tmp_path / "res.json"
    assert (
        main(
            [
                "eval",
                "--data",
                str(tiny_set),
                "--scale",
                "4",
                "--depth-scale",
                "0.1",
                "--baselines",
                "bicubic",
                "--sensor-model",
                str(yaml_path),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    assert "sensor_model" in json.loads(out.read_text())["lr"]
    # real LR maps are never degraded further
    assert (
        main(
            [
                "eval",
                "--data",
                str(tiny_set),
                "--lr-dir",
                "lr",
                "--baselines",
                "bicubic",
                "--sensor-model",
                str(yaml_path),
            ]
        )
        == 2
    )


def test_stereo_sensor_model_yaml_drives_the_noisy_protocol(
    tiny_set: Path, tmp_path: Path
) -> None:
    """``--sensor-model config/sensor_model_stereo.yaml`` (``kind: stereo``) is accepted."""
    out = tmp_path / "stereo.json"
    args = ["eval", "--data", str(tiny_set), "--scale", "4", "--depth-scale", "0.1"]
    args += ["--baselines", "bicubic", "--sensor-model", "config/sensor_model_stereo.yaml"]
    assert main([*args, "--json", str(out)]) == 0
    assert "stereo" in json.dumps(json.loads(out.read_text())["lr"])


def test_lidar_sensor_model_yaml_drives_the_noisy_protocol(tiny_set: Path, tmp_path: Path) -> None:
    """``--sensor-model config/sensor_model_lidar.yaml`` (``kind: lidar``) is accepted.

    Sparse beam rows in, scores on the supported pixels out, the same numbers with the same seed.
    """
    from bridgenet_ros.data.degradation import load_sensor_model
    from bridgenet_ros.eval.evaluate import load_eval_frames

    lidar = load_sensor_model("config/sensor_model_lidar.yaml")
    frames, _ = load_eval_frames(str(tiny_set), scale=4.0, depth_scale=0.1, sensor_model=lidar)
    assert any(((f.depth_lr > 0).sum(axis=1) == 0).any() for f in frames)  # rows without a beam
    scores = []
    for run in range(2):
        out = tmp_path / f"lidar{run}.json"
        args = ["eval", "--data", str(tiny_set), "--scale", "4", "--depth-scale", "0.1"]
        args += ["--baselines", "bicubic", "--sensor-model", "config/sensor_model_lidar.yaml"]
        assert main([*args, "--json", str(out)]) == 0
        report = json.loads(out.read_text())
        assert "sensor_model_lidar" in report["lr"]
        scores.append(report["methods"]["bicubic"]["rmse"])
    assert np.isfinite(scores[0]) and scores[0] == scores[1]


def test_eval_runs_a_deployment_graph_like_its_checkpoint(
    tiny_set: Path, test_checkpoint: Path, tmp_path: Path
) -> None:
    """``--model F.onnx`` exported with ``--pipeline`` scores as its checkpoint does."""
    pytest.importorskip("onnxruntime", reason="the deployment graph runs on onnxruntime")
    graph = tmp_path / "tiny_graph.onnx"
    assert (
        main(["export", "--model", str(test_checkpoint), "--out", str(graph), "--pipeline"]) == 0
    )
    scores = {}
    for model in (test_checkpoint, graph):
        out = tmp_path / f"{model.suffix[1:]}.json"
        args = ["eval", "--data", str(tiny_set), "--scale", "4", "--depth-scale", "0.1"]
        backend = "onnxruntime" if model.suffix == ".onnx" else "torch"
        args += ["--model", str(model), "--baselines", "bicubic", "--backend", backend]
        assert main([*args, "--json", str(out)]) == 0
        methods = json.loads(out.read_text())["methods"]
        scores[model.suffix] = methods[model.stem]["rmse"]
    assert scores[".onnx"] == pytest.approx(scores[".pt"], rel=1e-4)


def test_middlebury_val_split_is_the_training_hold_out(shared_data: Path) -> None:
    """``--split val`` on middlebury scores exactly the scenes training never sees."""
    from bridgenet_ros.data.splits import MIDDLEBURY_HELD_OUT
    from bridgenet_ros.eval.evaluate import load_eval_frames

    frames, _ = load_eval_frames("middlebury", scale=4.0, split="val", root=shared_data)
    train, _ = load_eval_frames("middlebury", scale=4.0, split="train", root=shared_data)
    names = {f.name for f in frames}
    assert names and names <= MIDDLEBURY_HELD_OUT
    assert not names & {f.name for f in train}


def test_eval_cli_align_auto_adds_an_aligned_bicubic(
    tiny_set: Path, test_checkpoint: Path, tmp_path: Path
) -> None:
    common = ["eval", "--data", str(tiny_set), "--scale", "4", "--depth-scale", "0.1"]
    common += ["--crop", "2", "--model", str(test_checkpoint), "--baselines", "bicubic"]
    plain, aligned = tmp_path / "plain.json", tmp_path / "aligned.json"
    assert main([*common, "--json", str(plain)]) == 0
    assert main([*common, "--align", "auto", "--json", str(aligned)]) == 0
    off = json.loads(plain.read_text())["methods"]
    auto = json.loads(aligned.read_text())["methods"]
    assert set(auto) == {"bicubic", "bridgenet_test", "bicubic+align"}
    assert auto["bicubic"]["rmse"] == pytest.approx(off["bicubic"]["rmse"])  # the LR as it came


def test_eval_cli_flat_guard_both_scores_each_model_twice(
    tiny_set: Path, test_checkpoint: Path, tmp_path: Path
) -> None:
    common = ["eval", "--data", str(tiny_set), "--scale", "4", "--depth-scale", "0.1"]
    common += ["--crop", "2", "--model", str(test_checkpoint), "--baselines", "bicubic"]
    both, on = tmp_path / "both.json", tmp_path / "on.json"
    assert main([*common, "--flat-guard", "both", "--json", str(both)]) == 0
    assert main([*common, "--flat-guard", "on", "--json", str(on)]) == 0
    scored = json.loads(both.read_text())["methods"]
    assert set(scored) == {"bicubic", "bridgenet_test", "bridgenet_test+guard"}
    guarded = json.loads(on.read_text())["methods"]["bridgenet_test"]
    assert guarded["rmse"] == pytest.approx(scored["bridgenet_test+guard"]["rmse"])
    assert scored["bridgenet_test+guard"]["rmse"] != scored["bridgenet_test"]["rmse"]
