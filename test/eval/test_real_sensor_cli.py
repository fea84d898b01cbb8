# SPDX-License-Identifier: Apache-2.0
"""``bridgenet eval --real-sensor`` and the CLI's path/unit handling, on tiny generated data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.cli.main import main

H, W = 48, 64


def _write_set(root: Path, depth_dtype: type = np.uint16, holes: bool = True) -> Path:
    (root / "rgb").mkdir(parents=True)
    (root / "depth").mkdir()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:H, 0:W]
    for i in range(2):
        near = x > 24 + 4 * i
        depth = 1500 + 4 * x + 2 * y - 500 * near
        if holes:
            depth[5:15, 5 + i : 12 + i] = 0  # a raw-sensor hole
        if depth_dtype == np.uint8:
            depth = depth // 10
        rgb = (rng.random((H, W, 3)) * 40 + 150 * near[..., None]).astype(np.uint8)
        Image.fromarray(rgb).save(root / "rgb" / f"frame{i}.png")
        Image.fromarray(depth.astype(depth_dtype)).save(root / "depth" / f"frame{i}.png")
    return root


@pytest.fixture(scope="module")
def sensor_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_set(tmp_path_factory.mktemp("sensor_set"))


@pytest.mark.parametrize("scale", ["4", "2.5"])
def test_real_sensor_protocol_json_has_region_scores(
    sensor_set: Path,
    test_checkpoint: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scale: str,
) -> None:
    # from another working directory: the default config/guided_filter.yaml is still found
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "res.json"
    argv = ["eval", "--data", str(sensor_set), "--real-sensor", "--scale", scale]
    argv += ["--depth-scale", "1", "--crop", "2", "--model", str(test_checkpoint)]
    assert main([*argv, "--baselines", "bicubic,guided", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["unit"] == "mm" and report["lr"].startswith("self-downsampled")
    regions = report["regions"]
    assert list(regions) == ["overall", "flat", "edge"]
    for name, entry in regions.items():
        assert set(entry["methods"]) == {"bicubic", "guided", "bridgenet_test"}
        assert entry["ratio_to_bicubic"]["bicubic"] == {"rmse": 1.0, "mae": 1.0}
        assert 0.0 < entry["fraction"] <= 1.0, name
    # overall region = the overall table (same pixels, same per-image mean)
    for method in ("bicubic", "guided", "bridgenet_test"):
        overall = regions["overall"]["methods"][method]["rmse"]
        assert overall == pytest.approx(report["methods"][method]["rmse"], rel=1e-9)
    # the step between the surfaces is an edge, so bicubic is much worse there than on flats
    bicubic = {r: regions[r]["methods"]["bicubic"]["rmse"] for r in ("flat", "edge")}
    assert bicubic["edge"] > 10 * bicubic["flat"], bicubic
    image = report["images"][0]["regions"]
    assert set(image) == {"overall", "flat", "edge"}
    assert image["flat"]["bicubic"]["n"] > 0 and image["edge"]["guided"]["rmse"] > 0


def test_real_sensor_lr_is_self_downsampled(sensor_set: Path) -> None:
    from bridgenet_ros.eval.evaluate import load_eval_frames
    from bridgenet_ros.eval.real_sensor import self_downsample

    frames, unit = load_eval_frames(str(sensor_set), scale=4.0, depth_scale=1.0, real_sensor=True)
    assert unit == "mm" and len(frames) == 2
    np.testing.assert_array_equal(frames[0].depth_lr, self_downsample(frames[0].depth_hr, 4.0))
    assert (frames[0].depth_hr == 0).any()  # the reference keeps the sensor's holes


def test_real_sensor_usage_errors(sensor_set: Path) -> None:
    base = ["eval", "--data", str(sensor_set), "--real-sensor", "--baselines", "bicubic"]
    assert main(base) == 2  # no --scale
    assert main([*base, "--scale", "4", "--lr-dir", "lr"]) == 2


def test_depth_scale_none_means_unitless(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = _write_set(tmp_path / "disparity", depth_dtype=np.uint8, holes=False)
    base = ["eval", "--data", str(data), "--scale", "4", "--baselines", "bicubic"]
    # 8-bit maps with the folder's metric default: the error says how to mark them unit-less
    assert main(base) == 1
    assert "unitless" in capsys.readouterr().err
    out = tmp_path / "res.json"
    for word in ("none", "unitless"):
        assert main([*base, "--depth-scale", word, "--json", str(out)]) == 0
        assert json.loads(out.read_text())["unit"] == "raw"
    with pytest.raises(SystemExit) as exc:
        main([*base, "--depth-scale", "-1"])
    assert exc.value.code == 2


def test_unwritable_json_is_one_line_error(
    sensor_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    base = ["eval", "--data", str(sensor_set), "--scale", "4", "--baselines", "bicubic"]
    for bad in (blocker / "res.json", tmp_path):  # a file as folder; a folder as file
        assert main([*base, "--json", str(bad)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --json") and "\n" not in err, err
    assert main([*base, "--tune-guided", str(blocker / "g.yaml")]) == 2
    assert capsys.readouterr().err.startswith("error: --tune-guided")
    assert main([*base, "--vis", str(blocker / "vis")]) == 2
    assert capsys.readouterr().err.startswith("error: --vis")
    missing = ["--guided-config", str(tmp_path / "nope.yaml"), "--baselines", "guided"]
    assert main([*base[:-2], *missing]) == 2
    assert "not found" in capsys.readouterr().err


def test_region_thresholds_from_yaml(sensor_set: Path, tmp_path: Path) -> None:
    base = ["eval", "--data", str(sensor_set), "--scale", "4", "--depth-scale", "1"]
    base += ["--baselines", "bicubic", "--crop", "2"]
    wide, narrow = tmp_path / "wide.yaml", tmp_path / "narrow.yaml"
    wide.write_text("band_lr_px: 2.0\nmargin_lr_px: 3.0\n")
    narrow.write_text("band_lr_px: 0.5\n")
    fractions = {}
    for path in (wide, narrow):
        out = tmp_path / f"{path.stem}.json"
        # --regions alone scores regions on the literature protocol too
        assert main([*base, "--regions", str(path), "--json", str(out)]) == 0
        report = json.loads(out.read_text())
        assert report["lr"] == "bicubic"
        fractions[path.stem] = report["regions"]["edge"]["fraction"]
    assert fractions["wide"] > fractions["narrow"] > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("edge_px: 3\n")
    assert main([*base, "--regions", str(bad)]) == 2
