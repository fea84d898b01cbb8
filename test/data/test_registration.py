# SPDX-License-Identifier: Apache-2.0
"""Registering training ground truth to its RGB (bridgenet_ros.data.registration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.data.config import DataConfig, SourceConfig
from bridgenet_ros.data.folders import RGBDSample
from bridgenet_ros.data.registration import (
    RegisteredSource,
    register_depth_to_rgb,
    shift_whole_pixels,
)
from bridgenet_ros.data.sources import open_source
from bridgenet_ros.errors import ConfigError

from ..runtime.test_align import scene
from .helpers import write_pair


def test_shift_whole_pixels_copies_values_and_leaves_holes() -> None:
    depth = np.arange(1, 21, dtype=np.float32).reshape(4, 5)
    moved = shift_whole_pixels(depth, 1, -2)
    assert moved[1:, :3].tolist() == depth[:3, 2:].tolist()  # copied, never blended
    assert (moved[0] == 0).all() and (moved[:, 3:] == 0).all()
    assert (shift_whole_pixels(depth, 4, 0) == 0).all()
    assert shift_whole_pixels(depth, 0, 0).tolist() == depth.tolist()


def test_a_misregistered_depth_is_moved_back_onto_the_rgb() -> None:
    rgb, depth = scene()
    off = shift_whole_pixels(depth, 2, -3)  # depth content 2 px low, 3 px left of the RGB
    registered, registration = register_depth_to_rgb(rgb, off, 6.0, 1.05)
    assert registration.shift_px == (-2, 3)
    assert registration.estimate_px == pytest.approx((2.0, -3.0), abs=0.5)
    inner = (slice(8, -8), slice(8, -8))
    assert np.array_equal(registered[inner], depth[inner])
    assert set(np.unique(registered)) <= {0.0, 1.5, 2.0, 3.0}  # no blended value


def test_registered_and_far_estimates_are_left_alone() -> None:
    rgb, depth = scene()
    out, registration = register_depth_to_rgb(rgb, depth, 6.0, 1.05)
    assert out is depth and registration.shift_px == (0, 0)
    # an offset on the border of the searched window is not trusted
    far = shift_whole_pixels(depth, 5, 0)
    out, registration = register_depth_to_rgb(rgb, far, 5.0, 1.05)
    assert registration.gain > 1.05 and out is far and registration.shift_px == (0, 0)


class _Frames:
    def __init__(self, samples: list[RGBDSample]) -> None:
        self.samples = samples
        self.reads = 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> RGBDSample:
        self.reads += 1
        return self.samples[index]


def test_registered_source_moves_hr_only_and_caches_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridgenet_ros.data import registration as module

    rgb, depth = scene()
    lr = depth[::4, ::4].copy()
    frames = _Frames([RGBDSample("a", rgb, shift_whole_pixels(depth, 2, 0), lr, "g")])
    source = RegisteredSource(frames, 6.0, 1.05)
    calls = []
    real = module.register_depth_to_rgb
    monkeypatch.setattr(module, "register_depth_to_rgb", lambda *a: calls.append(1) or real(*a))
    first, second = source[0], source[0]
    assert len(calls) == 1 and len(source) == 1
    assert np.array_equal(first.depth_hr[8:-8, 8:-8], depth[8:-8, 8:-8])
    assert np.array_equal(second.depth_hr, first.depth_hr)
    assert first.depth_lr is lr  # the sensor's LR is not ground truth: untouched


def test_config_and_open_source_register_the_training_split_only(tmp_path: Path) -> None:
    rgb, depth = scene()
    for stem in ("20200101000000", "20200102000000"):
        write_pair(tmp_path, stem, shift_whole_pixels(depth, 3, 0) * 1000, rgb=rgb)
    spec = SourceConfig(kind="folder", path=str(tmp_path), register_to_rgb=True)
    config = DataConfig(sources=(spec,), val_fraction=0.5)
    train, val = open_source(spec, config, "train"), open_source(spec, config, "val")
    assert isinstance(train, RegisteredSource) and not isinstance(val, RegisteredSource)
    assert np.allclose(train[0].depth_hr[8:-8, 8:-8], depth[8:-8, 8:-8])
    with pytest.raises(ConfigError, match="register_to_rgb"):
        SourceConfig(kind="synthetic", register_to_rgb=True)
    with pytest.raises(ConfigError, match="register_min_gain"):
        SourceConfig(kind="named", path="rgbdd", register_to_rgb=True, register_min_gain=0.9)


def _load_report_script() -> object:
    import importlib.util
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "gt_registration.py"
    spec = importlib.util.spec_from_file_location("gt_registration", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gt_registration"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_gt_registration_report_rows_per_group(tmp_path: Path) -> None:
    from bridgenet_ros.data.folders import RGBDFolder

    report = _load_report_script()
    rgb, depth = scene()
    write_pair(tmp_path, "20200101000000", depth * 1000, rgb=rgb)
    write_pair(tmp_path, "20200101000100", shift_whole_pixels(depth, 2, 0) * 1000, rgb=rgb)
    write_pair(tmp_path, "20200202000000", shift_whole_pixels(depth, 0, -3) * 1000, rgb=rgb)
    folder = RGBDFolder(str(tmp_path), 0.001)
    rows = report.group_rows({"all": folder}, 6.0, 1.05)  # type: ignore[attr-defined]
    assert [(r.group, r.frames) for r in rows] == [("20200101", 2), ("20200202", 1)]
    first, second = rows
    assert first.moved_share == 0.5 and first.p90_length == pytest.approx(1.8, abs=0.5)
    assert second.moved_share == 1.0 and second.median_dx == pytest.approx(-3.0, abs=0.5)


def test_image_placed_floor_scores_the_misregistered_frames_only(tmp_path: Path) -> None:
    from bridgenet_ros.data.folders import RGBDFolder

    report = _load_report_script()
    rgb, depth = scene()
    write_pair(tmp_path, "20200101000000", depth * 1000, rgb=rgb)
    write_pair(tmp_path, "20200101000100", shift_whole_pixels(depth, 0, 3) * 1000, rgb=rgb)
    folder = RGBDFolder(str(tmp_path), 0.001)
    (placed0, bicubic0, moved0), (placed1, bicubic1, moved1) = report.floor_scores(  # type: ignore[attr-defined]
        folder, 4.0, 6, 6.0, 1.05
    )
    assert not moved0 and placed0 == 0.0 and bicubic0 > 0.01
    # the reference 3 px off its image: the image-placed output misses every depth edge by 3 px
    assert moved1 and placed1 > 0.5 * bicubic1 > 0.005


def test_eval_frames_register_gt_moves_reference_and_lr_together(tmp_path: Path) -> None:
    from bridgenet_ros.eval.evaluate import load_eval_frames

    rgb, depth = scene()
    write_pair(tmp_path, "20200101000000", shift_whole_pixels(depth, 0, 3) * 1000, rgb=rgb)
    (plain,), _ = load_eval_frames(str(tmp_path), scale=4.0)
    (moved,), _ = load_eval_frames(str(tmp_path), scale=4.0, register_gt=True)
    inner = (slice(8, -8), slice(8, -8))
    assert np.allclose(moved.depth_hr[inner], depth[inner])
    assert not np.allclose(plain.depth_hr[inner], depth[inner])
    assert np.allclose(moved.depth_lr[2:-2, 2:-2], load_lr_of(depth)[2:-2, 2:-2], atol=1e-3)


def load_lr_of(depth: np.ndarray) -> np.ndarray:
    from bridgenet_ros.data.degradation import bicubic_downsample

    return bicubic_downsample(depth, 4.0)
