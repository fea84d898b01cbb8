# SPDX-License-Identifier: Apache-2.0
"""Procedural scenes: determinism, ranges, intrinsics, texture independent of depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.data.folders import RGBDFolder
from bridgenet_ros.data.synthetic import (
    PhotoTextures,
    SyntheticScenes,
    render_scene,
    scaled_intrinsics,
)
from bridgenet_ros.errors import ConfigError, DataError

from .helpers import ramp_mm, write_pair


def test_deterministic_per_seed_and_index() -> None:
    scenes = SyntheticScenes(seed=7, height=48, width=64)
    a, b = scenes[3], SyntheticScenes(seed=7, height=48, width=64)[3]
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.K, b.K)
    assert not np.array_equal(a.depth, scenes[4].depth)
    assert not np.array_equal(a.depth, SyntheticScenes(seed=8, height=48, width=64)[3].depth)
    np.testing.assert_array_equal(scenes[-1].depth, scenes[len(scenes) - 1].depth)


def test_shapes_ranges_and_intrinsics() -> None:
    scenes = SyntheticScenes(seed=0, height=60, width=80)
    for i in range(6):
        frame = scenes[i]
        assert frame.rgb.shape == (60, 80, 3) and frame.rgb.dtype == np.uint8
        assert frame.depth.shape == (60, 80) and frame.depth.dtype == np.float32
        assert frame.K.shape == (3, 3) and frame.K.dtype == np.float64
        assert np.isfinite(frame.depth).all()
        assert 0.3 <= float(frame.depth.min()) and float(frame.depth.max()) <= 10.0
        assert float(frame.depth.max() - frame.depth.min()) > 0.3  # not a flat wall
        assert 525 * 80 / 640 * 0.94 < frame.K[0, 0] < 525 * 80 / 640 * 1.06
        assert frame.K[0, 2] == pytest.approx(39.5) and frame.K[1, 2] == pytest.approx(29.5)
        assert frame.rgb.std() > 5  # lit and textured, not black
    k = scaled_intrinsics(480, 640)
    assert k[0, 0] == 525.0 and k[1, 1] == 525.0 and k[0, 2] == 319.5


def test_depth_is_a_pinhole_projection_of_planes() -> None:
    # Room walls are planes: in a pixel neighbourhood on one plane, 1/depth is affine in (u, v).
    frame = SyntheticScenes(seed=1, height=120, width=160)[0]
    inv = 1.0 / frame.depth.astype(np.float64)
    second = np.abs(inv[:, 2:] - 2 * inv[:, 1:-1] + inv[:, :-2])
    # most pixels are on planar patches: second differences of 1/z vanish
    assert np.median(second) < 1e-5


def test_rgb_edges_are_not_only_depth_edges() -> None:
    scenes = SyntheticScenes(seed=2, height=96, width=128)
    texture_only = 0
    total = 0
    for i in range(8):
        frame = scenes[i]
        grey = frame.rgb.astype(np.float32).mean(axis=2)
        rgb_edge = np.abs(np.diff(grey, axis=1)) > 40
        depth_edge = np.abs(np.diff(frame.depth, axis=1)) > 0.05
        texture_only += int((rgb_edge & ~depth_edge).sum())
        total += int(rgb_edge.sum())
    assert total > 0 and texture_only / total > 0.3


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        SyntheticScenes(height=4, width=4)
    with pytest.raises(ConfigError):
        SyntheticScenes(seed=-1)
    with pytest.raises(IndexError):
        SyntheticScenes(length=2)[2]


def _photo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    red = np.zeros((60, 90, 3), np.uint8)
    red[..., 0] = 255
    red[::10] = (255, 0, 200)  # a few magenta rows: photo edges
    Image.fromarray(red).save(folder / "red.png")
    return folder


def test_photo_textures_deterministic_and_used(tmp_path: Path) -> None:
    photos = PhotoTextures([_photo_dir(tmp_path) / "red.png"])
    scenes = SyntheticScenes(seed=3, height=48, width=64, photos=photos, photo_texture_prob=1.0)
    again = SyntheticScenes(
        seed=3, height=48, width=64, photos=PhotoTextures(photos.paths), photo_texture_prob=1.0
    )
    plain = SyntheticScenes(seed=3, height=48, width=64)
    for i in range(3):
        frame = scenes[i]
        np.testing.assert_array_equal(frame.rgb, again[i].rgb)
        # every material is a (tinted) crop of the red photo: red dominates green everywhere
        rgb = frame.rgb.astype(np.int32)
        assert np.mean(rgb[..., 0] > rgb[..., 1] + 10) > 0.95
        assert not np.array_equal(frame.rgb, plain[i].rgb)


def test_photo_textures_come_from_the_training_split(tmp_path: Path) -> None:
    from bridgenet_ros.config_io import from_mapping
    from bridgenet_ros.data.config import DataConfig
    from bridgenet_ros.data.sources import build_sources, training_photos

    root = tmp_path / "set"
    for day in ("20200101", "20200102", "20200103", "20200104"):
        write_pair(root, f"{day}120000", ramp_mm())
    config = from_mapping(DataConfig, {"crop_hw": [16, 16], "val_fraction": 0.5})
    paths = training_photos((str(root),), config)
    val = RGBDFolder(root, split="val", val_fraction=0.5)
    assert paths and not {p.name for p in paths} & {f"{n}.png" for n in val.names}
    assert training_photos((str(_photo_dir(tmp_path)),), config)[0].name == "red.png"
    with pytest.raises(DataError, match="neither"):
        training_photos((str(tmp_path / "missing"),), config)
    config = from_mapping(
        DataConfig,
        {
            "sources": [
                {"kind": "synthetic", "height": 32, "width": 32, "texture_photos": [str(root)]}
            ],
            "crop_hw": [16, 16],
            "val_fraction": 0.5,
        },
    )
    source = build_sources(config, "train")[0][0]
    assert source.scenes.photos is not None and len(source.scenes.photos) == 2


def test_named_photo_sets_exclude_validation_and_test_frames(shared_data: Path) -> None:
    from bridgenet_ros.config_io import from_mapping
    from bridgenet_ros.data.config import DataConfig
    from bridgenet_ros.data.sources import training_photos

    config = from_mapping(DataConfig, {"data_root": str(shared_data)})
    stems = {p.stem for p in training_photos(("rgbdd", "middlebury"), config)}
    assert len(stems) == 238 + 18
    assert not {s[:8] for s in stems} & {"20200531", "20200705", "20200801"}
    assert not stems & {"13", "19", "20", "22", "27", "30"}


def test_second_rig_camera_sees_the_same_scene() -> None:
    # identity view = the drawn camera; a view with other intrinsics is the same room (at the
    # centre pixel, which both cameras share, the depth is the same)
    default = render_scene(np.random.default_rng([5, 1]), 48, 64)
    same = render_scene(
        np.random.default_rng([5, 1]), 48, 64, view_from_ref=(np.eye(3), np.zeros(3))
    )
    for a, b in zip(default, same):
        np.testing.assert_array_equal(a, b)
    k = scaled_intrinsics(49, 65, 300.0)  # odd size: a pixel exactly on the optical axis
    _, wide, _ = render_scene(np.random.default_rng([5, 1]), 49, 65, intrinsics=k)
    _, narrow, _ = render_scene(
        np.random.default_rng([5, 1]), 49, 65, intrinsics=scaled_intrinsics(49, 65, 900.0)
    )
    assert wide[24, 32] == pytest.approx(narrow[24, 32], rel=1e-5)
    assert not np.allclose(wide, narrow)
