# SPDX-License-Identifier: Apache-2.0
"""Baselines: the pass-through backend reproduces the pipeline's bicubic map; guided filter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.eval.baselines import (
    GuidedParams,
    PassThroughBackend,
    guided_filter_depth,
    load_guided_params,
    params_for_scale,
    save_guided_params,
    tune_guided,
)
from bridgenet_ros.runtime.pipeline import DepthSRPipeline


def _scene(h: int = 48, w: int = 64) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(w)[None, :].repeat(h, 0)
    depth = np.where(x < w // 2, 1.0, 2.0).astype(np.float32)
    rgb = np.zeros((h, w, 3), dtype=np.uint8)
    rgb[:, w // 2 :] = 200
    return rgb, depth


def test_pass_through_pipeline_output_is_its_depth_lr_up() -> None:
    rgb, depth = _scene()
    depth_lr = depth[::4, ::4].copy()
    result = DepthSRPipeline(PassThroughBackend()).run(rgb, depth_lr)
    np.testing.assert_allclose(result.depth_sr, result.depth_lr_up, rtol=0, atol=1e-5)
    assert result.depth_sr.shape == depth.shape


def test_guided_filter_limits_and_nan() -> None:
    import cv2

    rgb, depth = _scene()
    blurred = DepthSRPipeline(PassThroughBackend()).run(rgb, depth[::8, ::8].copy()).depth_lr_up
    blurred[0, 0] = np.nan
    out = guided_filter_depth(rgb, blurred, radius=4, eps=1e-3)
    assert np.isnan(out[0, 0]) and np.isfinite(out[1:, 1:]).all()
    # a flat depth map stays flat whatever the guide
    flat = guided_filter_depth(rgb, np.full(depth.shape, 1.5, np.float32), 4, 1e-3)
    np.testing.assert_allclose(flat, 1.5, atol=1e-4)
    # huge eps: a -> 0, so the output is the box mean (window 2r+1) of the box mean of the input
    clean = blurred.copy()
    clean[0, 0] = clean[0, 1]
    smooth = guided_filter_depth(rgb, clean, radius=3, eps=1e6)
    box = cv2.boxFilter(clean, -1, (7, 7), borderType=cv2.BORDER_REFLECT)
    box = cv2.boxFilter(box, -1, (7, 7), borderType=cv2.BORDER_REFLECT)
    np.testing.assert_allclose(smooth[8:-8, 8:-8], box[8:-8, 8:-8], atol=1e-3)


def test_tuning_picks_the_best_grid_point_and_round_trips(tmp_path: Path) -> None:
    rgb, depth = _scene()
    up = DepthSRPipeline(PassThroughBackend()).run(rgb, depth[::8, ::8].copy()).depth_lr_up
    grid = [(r, e) for r in (1, 4) for e in (1e-3, 1.0)]
    best, score = tune_guided([(rgb, up, depth)], 8.0, radii=(1, 4), eps_values=(1e-3, 1.0))

    def rmse(radius: int, eps: float) -> float:
        out = guided_filter_depth(rgb, up, radius, eps)
        return float(np.sqrt(np.nanmean((out - depth)[6:-6, 6:-6] ** 2)))

    expected = min(grid, key=lambda p: rmse(*p))
    assert (best.radius, best.eps) == expected and best.scale == 8.0
    assert score == pytest.approx(rmse(*expected), rel=1e-5)
    path = tmp_path / "g.yaml"
    save_guided_params(path, [best, GuidedParams(16.0, 8, 0.01)], "tuned in a test")
    params = load_guided_params(path)
    assert params[0] == best
    assert params_for_scale(params, 11.0).scale == 8.0
    assert params_for_scale(params, 12.0).scale == 16.0
    with pytest.raises(ConfigError):
        params_for_scale([], 4.0)


def test_shipped_guided_config_is_valid(repo_root: Path) -> None:
    params = load_guided_params(repo_root / "config" / "guided_filter.yaml")
    assert sorted(p.scale for p in params) == [4.0, 8.0, 16.0]
