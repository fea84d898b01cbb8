# SPDX-License-Identifier: Apache-2.0
"""One absurd LR pixel must not move the rest of the frame (issue 12, robust normalization)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.normalize import depth_range, lr_input_mask
from bridgenet_ros.runtime.pipeline import DepthSRPipeline


def _tilted_wall(h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """A 2 m wall tilted by a few cm, with an RGB texture that has nothing to do with depth."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    depth_hr = 2.0 + 0.05 * x / w + 0.03 * y / h
    checker = ((x // 8 + y // 8) % 2) * 120 + 60
    rgb = np.stack([checker, 255 - checker, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    depth_lr = depth_hr[2::4, 2::4].copy()
    return rgb, depth_lr


@pytest.mark.parametrize("value", [100.0, 1e4, 3e38])
def test_isolated_outlier_is_dropped_and_counted(value: float) -> None:
    _, depth_lr = _tilted_wall()
    clean = lr_input_mask(depth_lr)
    assert clean.mask.all() and clean.n_outliers == 0
    depth_lr[10, 12] = value
    result = lr_input_mask(depth_lr)
    assert result.n_outliers == 1 and not result.mask[10, 12]
    assert result.mask.sum() == depth_lr.size - 1
    rng = depth_range(depth_lr, result.mask)
    assert rng.hi < 2.1  # the range is the wall's, not stretched to the outlier


def test_range_limits_mark_pixels_out_of_range() -> None:
    _, depth_lr = _tilted_wall()
    depth_lr[0, 0] = 50.0
    depth_lr[3, 3] = 0.01
    depth_lr[5, 5] = np.nan
    result = lr_input_mask(depth_lr, min_depth=0.1, max_depth=10.0)
    assert (result.n_out_of_range, result.n_invalid, result.n_outliers) == (2, 1, 0)
    assert not result.mask[0, 0] and not result.mask[3, 3] and not result.mask[5, 5]


def test_small_object_one_lr_pixel_wide_is_kept() -> None:
    """A thin foreground object (one LR pixel) lies inside the scene's range: not an outlier."""
    _, depth_lr = _tilted_wall()
    depth_lr[8, 8] = 1.2  # a chair leg in front of the 2 m wall
    assert lr_input_mask(depth_lr).mask[8, 8]


def _shipped_pipeline(repo_root: Path, config: RuntimeConfig) -> DepthSRPipeline:
    pytest.importorskip("onnxruntime", reason="the shipped ONNX model runs on onnxruntime")
    from bridgenet_ros.runtime.backends.factory import create_backend

    backend = create_backend("onnxruntime", repo_root / "models" / "bridgenet_lite.onnx")
    return DepthSRPipeline(backend, config)


@pytest.mark.parametrize("max_depth", [None, 10.0])
@pytest.mark.parametrize("value", [100.0, 1e4, 3e38])
def test_outlier_moves_no_other_output_pixel(
    repo_root: Path, value: float, max_depth: float | None
) -> None:
    """Shipped model: a 100 m / 1e4 m / 3e38 pixel changes no other output pixel by > 1 mm."""
    pipe = _shipped_pipeline(repo_root, RuntimeConfig(max_depth=max_depth))
    rgb, depth_lr = _tilted_wall()
    reference = pipe.run(rgb, depth_lr)
    spiked = depth_lr.copy()
    spiked[10, 12] = value
    result = pipe.run(rgb, spiked)
    reason = "out_of_range" if max_depth is not None else "outlier"
    assert result.lr_dropped is not None and result.lr_dropped[reason] == 1
    assert np.isfinite(result.depth_sr).all()
    others = np.ones(rgb.shape[:2], dtype=bool)
    others[10 * 4 : 11 * 4, 12 * 4 : 13 * 4] = False  # the outlier's own output pixels
    diff = np.abs(result.depth_sr - reference.depth_sr)[others]
    assert diff.max() <= 1e-3, f"an outlier moved other pixels by up to {diff.max() * 1e3:.2f} mm"
