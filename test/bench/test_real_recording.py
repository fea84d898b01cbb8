# SPDX-License-Identifier: Apache-2.0
"""Real recordings in the bench: ``--downsample`` (scored as eval --real-sensor), registration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.bench.bag_reader import BagSource
from bridgenet_ros.bench.bag_writer import BagFrame, BagWriteOptions, write_bag
from bridgenet_ros.bench.messages import camera_info_msg, image_msg, serialize
from bridgenet_ros.bench.real_recording import SelfDownsampler, bag_registrar
from bridgenet_ros.bench.replay import ReplayOptions, replay_bag
from bridgenet_ros.bench.topics import CAMERA_INFO_TYPE, IMAGE_TYPE, BagTopics
from bridgenet_ros.data.synthetic import render_scene, scaled_intrinsics
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.eval.evaluate import EvalFrame, ModelMethod, evaluate_frames
from bridgenet_ros.eval.real_sensor import self_downsample
from bridgenet_ros.eval.regions import RegionConfig
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.stream.codec import decode_depth_m, decode_rgb
from bridgenet_ros.stream.extrinsic import Extrinsic
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.pipeline_factory import build_pipeline as build_node_pipeline

from .conftest import HEIGHT, WIDTH

TOPICS = BagTopics()
SCALE = 4


@pytest.fixture(scope="module")
def pipeline(test_checkpoint: Path) -> Any:
    pipe, _, _ = build_node_pipeline(NodeConfig(model_path=str(test_checkpoint), backend="torch"))
    yield pipe
    pipe.backend.close()


@pytest.fixture(scope="module")
def recording_frames() -> list[BagFrame]:
    """Three frames whose depth is full resolution with holes (what an aligned camera records)."""
    from bridgenet_ros.data.synthetic import SyntheticScenes

    scenes = SyntheticScenes(seed=3, height=HEIGHT, width=WIDTH, length=3)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(3):
        f = scenes[i]
        depth = f.depth.copy()
        depth[rng.random(depth.shape) < 0.05] = 0.0  # sensor holes
        depth[10:30, 20:50] = 0.0  # a shadow
        frames.append(BagFrame(f.rgb, depth, None, f.K))
    return frames


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, recording_frames: list[BagFrame]) -> Path:
    """A 'RealSense with aligned depth' bag: full-resolution 16UC1 depth with holes, no GT."""
    path = tmp_path_factory.mktemp("rec") / "aligned"
    write_bag(path, recording_frames, BagWriteOptions())
    return path


def _decoded_frames(bag: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(rgb, depth metres)`` of every frame, decoded by the node's codec, in bag order."""
    rgbs, depths = [], []
    with BagSource(bag, TOPICS.rgb, TOPICS.depth) as source:
        for msg in source:
            if msg.role == "rgb":
                rgbs.append(decode_rgb(msg.message))
            elif msg.role == "depth":
                depths.append(decode_depth_m(msg.message))
    return list(zip(rgbs, depths))


def test_downsample_scores_regions_exactly_as_eval_real_sensor(
    pipeline: Any, recording: Path
) -> None:
    result = replay_bag(recording, pipeline, ReplayOptions(downsample=SCALE, crop=6, samples=1))
    assert len(result.frames) == 3
    assert result.reference == "recording depth, self-down-sampled x4"
    # the pipeline saw the self-down-sampled depth; the contact sheet keeps the reference
    sample = result.samples[0]
    assert sample.depth_lr.shape == (HEIGHT // SCALE, WIDTH // SCALE)
    assert sample.depth_gt is not None and sample.depth_gt.shape == (HEIGHT, WIDTH)
    regions = result.regions
    assert regions is not None and set(regions) == {"overall", "flat", "edge"}
    for entry in regions.values():
        assert set(entry["methods"]) == {"bridgenet", "bicubic"}
        assert entry["ratio_to_bicubic"]["bicubic"]["rmse"] == pytest.approx(1.0)
    assert regions["flat"]["fraction"] > 0.02 and regions["edge"]["fraction"] > 0.01

    # cross-check: the same frames through `bridgenet eval --real-sensor`'s own path
    frames = [
        EvalFrame(str(i), rgb, depth, self_downsample(depth, SCALE))
        for i, (rgb, depth) in enumerate(_decoded_frames(recording))
    ]
    report = evaluate_frames(
        frames,
        [ModelMethod("bridgenet", pipeline)],
        baselines=("bicubic",),
        scale=SCALE,
        crop=6,
        regions=RegionConfig(),
    )
    assert report.regions is not None
    for region in ("overall", "flat", "edge"):
        for method in ("bicubic", "bridgenet"):
            ours = regions[region]["methods"][method]
            theirs = report.regions[region]["methods"][method]
            assert ours["rmse"] == pytest.approx(theirs["rmse"], rel=1e-9)
            assert ours["mae"] == pytest.approx(theirs["mae"], rel=1e-9)
            assert ours["n_images"] == theirs["n_images"] == 3
    # per-frame accuracy is the overall score; bicubic of real structure is far from 0
    assert np.mean([f.bicubic_rmse for f in result.frames]) == pytest.approx(
        regions["overall"]["methods"]["bicubic"]["rmse"], rel=1e-9
    )
    assert regions["overall"]["methods"]["bicubic"]["rmse"] > 1e-3


def test_downsample_on_a_ros1_recording(
    pipeline: Any, recording: Path, recording_frames: list[BagFrame], tmp_path: Path
) -> None:
    """A realsense-viewer-like ROS 1 bag (mono16 depth, ROS 1 camera_infos) scores the same."""
    from .test_replay import write_ros1_bag

    ros1 = write_ros1_bag(tmp_path / "aligned.bag", recording_frames, 7_000_000_000)
    options = ReplayOptions(downsample=SCALE, samples=0, out_bag=tmp_path / "out.bag")
    result = replay_bag(ros1, pipeline, options)
    reference = replay_bag(recording, pipeline, ReplayOptions(downsample=SCALE, samples=0))
    assert len(result.frames) == 3 and result.skipped == {}
    assert result.regions == reference.regions  # mono16 + ROS 1 decode to the same metres
    assert (tmp_path / "out.bag").is_file()


def test_self_downsampler_and_an_empty_frame() -> None:
    step = SelfDownsampler(4.0)
    depth = np.full((96, 128), 2.0, np.float32)
    lr = step(depth, None)
    assert lr.shape == (24, 32) and np.allclose(lr, 2.0)
    assert np.array_equal(depth, np.full((96, 128), 2.0, np.float32))  # input left untouched
    empty = step(np.zeros((96, 128), np.float32), None)
    assert empty.shape == (24, 32) and not empty.any()
    with pytest.raises(ConfigError, match="--downsample"):
        SelfDownsampler(0.5)
    with pytest.raises(ConfigError, match="filter"):
        ReplayOptions(downsample=2.0, downsample_filter="nearest")  # type: ignore[arg-type]


def test_downsample_and_registrar_are_exclusive(pipeline: Any, recording: Path) -> None:
    with pytest.raises(ConfigError, match="--register"):
        replay_bag(
            recording,
            pipeline,
            ReplayOptions(downsample=SCALE),
            registrar=lambda depth, info: depth,
        )


def test_cli_downsample_report_and_option_errors(
    recording: Path, test_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridgenet_ros.cli.main import main

    base = ["bench", "--bag", str(recording), "--model", str(test_checkpoint)]
    base += ["--backend", "torch", "--no-progress", "--samples", "0"]
    code = main([*base, "--downsample", "4", "--report", str(tmp_path / "r")])
    assert code == 0
    out = capsys.readouterr().out
    assert "reference: recording depth, self-down-sampled x4" in out
    assert "flat" in out and "edge" in out and "rmse×" in out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["downsample"] == 4.0
    assert report["accuracy"]["frames"] == 3
    assert set(report["regions"]["overall"]["methods"]) == {"bridgenet", "bicubic"}
    assert "ratio_to_bicubic" in report["regions"]["edge"]
    assert "self-down-sampled x4" in (tmp_path / "r" / "report.md").read_text()

    for extra, needle in (
        (["--downsample", "4", "--gt-topic", "/gt"], "alternatives"),
        (["--downsample", "4", "--register", "--depth-to-rgb", "0,0,0,0,0,0,1"], "--register"),
        (["--register"], "go together"),
        (["--register", "--depth-to-rgb", "1,2,3"], "depth_to_rgb"),
    ):
        assert main([*base, *extra, "--report", str(tmp_path / "x")]) != 0
        assert needle in capsys.readouterr().err


# ------------------------------------------------------------------------- registration

RGB_HW = (96, 128)
DEPTH_HW = (48, 64)
_Q = np.array([0.0, 0.02, 0.0, 1.0]) / np.linalg.norm([0.0, 0.02, 0.0, 1.0])
DEPTH_FROM_RGB = Extrinsic.from_quaternion([0.05, 0.01, 0.0], _Q.tolist())


def _two_camera_bag(path: Path, n: int = 2) -> Path:
    """Colour view (+ its depth as ground truth) and a wider, offset depth camera's view."""
    from rosbags.rosbag2 import Writer

    from bridgenet_ros.bench.messages import typestore

    k_rgb = scaled_intrinsics(*RGB_HW, 600.0)
    k_depth = scaled_intrinsics(*DEPTH_HW, 400.0)
    writer = Writer(path, version=9)
    writer.open()
    conns: dict[str, Any] = {}

    def put(topic: str, msgtype: str, t: int, msg: Any) -> None:
        if topic not in conns:
            conns[topic] = writer.add_connection(topic, msgtype, typestore=typestore())
        writer.write(conns[topic], t, serialize(msg, msgtype))

    for i in range(n):
        t = 1_700_000_000_000_000_000 + i * 100_000_000
        rgb, gt, _ = render_scene(np.random.default_rng([5, i]), *RGB_HW, intrinsics=k_rgb)
        _, depth, _ = render_scene(
            np.random.default_rng([5, i]),
            *DEPTH_HW,
            view_from_ref=(DEPTH_FROM_RGB.rotation, DEPTH_FROM_RGB.translation),
            intrinsics=k_depth,
        )
        put(TOPICS.rgb, IMAGE_TYPE, t, image_msg(rgb, "rgb8", t, "c"))
        put(TOPICS.rgb_info, CAMERA_INFO_TYPE, t, camera_info_msg(k_rgb, *RGB_HW, t, "c"))
        put(TOPICS.gt, IMAGE_TYPE, t, image_msg(gt, "32FC1", t, "c"))
        td = t + 3_000_000
        # the camera_info is logged just before its image, so the first pair can be registered
        put(
            TOPICS.depth_info,
            CAMERA_INFO_TYPE,
            td - 1,
            camera_info_msg(k_depth, *DEPTH_HW, td, "d"),
        )
        mm = np.rint(depth * 1000).astype(np.uint16)
        put(TOPICS.depth, IMAGE_TYPE, td, image_msg(mm, "16UC1", td, "d"))
    writer.close()
    return path


def test_register_reprojects_the_depth_camera_into_the_colour_view(
    pipeline: Any, tmp_path: Path
) -> None:
    """Registered depth matches the colour view; the unregistered depth view is far off.

    Measured on the pipeline's bicubic up-sampling (``depth_lr_up``) against the colour view's
    rendered depth (the bag's ground-truth topic), so the untrained test model plays no part.
    """
    bag = _two_camera_bag(tmp_path / "two_cams")
    registrar = bag_registrar(bag, TOPICS, DEPTH_FROM_RGB.inverse())
    registered = replay_bag(bag, pipeline, ReplayOptions(samples=1), registrar=registrar)
    plain = replay_bag(bag, pipeline, ReplayOptions(samples=1))
    assert len(registered.frames) == len(plain.frames) == 2
    # the registrar ran in the stream: its LR grid (the colour aspect at the depth camera's
    # angular resolution), not the depth image's 48x64
    k_depth = scaled_intrinsics(*DEPTH_HW, 400.0)
    grid = registrar.grid(CameraIntrinsics(width=DEPTH_HW[1], height=DEPTH_HW[0], k=k_depth))
    assert grid != DEPTH_HW
    assert registered.samples[0].depth_lr.shape == grid
    assert plain.samples[0].depth_lr.shape == DEPTH_HW
    err_reg = np.mean([f.bicubic_mae for f in registered.frames])
    err_plain = np.mean([f.bicubic_mae for f in plain.frames])
    assert err_reg < 0.5 * err_plain


def test_cli_register_builds_the_registrar_from_the_bag(
    test_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridgenet_ros.cli.main import main

    bag = _two_camera_bag(tmp_path / "two_cams", n=1)
    ext = DEPTH_FROM_RGB.inverse().to_mapping()
    flat = ",".join(f"{v:.9f}" for v in [*ext["translation"], *ext["rotation_xyzw"]])
    assert flat.startswith("-")  # a negative first value needs the --opt=value form
    base = ["bench", "--bag", str(bag), "--model", str(test_checkpoint), "--backend", "torch"]
    base += ["--no-progress", "--samples", "0"]
    for name, extra in (("reg", ["--register", f"--depth-to-rgb={flat}"]), ("plain", [])):
        assert main([*base, *extra, "--report", str(tmp_path / name)]) == 0
    capsys.readouterr()
    reg, plain = (
        json.loads((tmp_path / name / "report.json").read_text()) for name in ("reg", "plain")
    )
    assert reg["frames"] == plain["frames"] == 1
    assert reg["accuracy"]["bicubic_mae_m"] < 0.5 * plain["accuracy"]["bicubic_mae_m"]


def test_bag_registrar_needs_both_camera_infos(recording: Path, tmp_path: Path) -> None:
    topics = BagTopics(depth_info="/nope")
    with pytest.raises(DataError, match="--depth-info-topic"):
        bag_registrar(recording, topics, Extrinsic.identity())
    with pytest.raises(DataError, match="--rgb-info-topic"):
        bag_registrar(recording, BagTopics(rgb_info="/nope"), Extrinsic.identity())
