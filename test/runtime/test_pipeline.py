# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.errors import BackendError, ConfigError, ShapeError
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline, support_mask, upsample_depth_lr
from bridgenet_ros.runtime.resize import resize

from .conftest import EchoBackend


def _scene(h: int = 48, w: int = 64, scale: int = 4) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    depth_hr = 1.0 + 2.0 * x / w + 0.5 * y / h
    rgb = np.stack([x / w * 255, y / h * 255, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    depth_lr = resize(depth_hr, (h // scale, w // scale), "bicubic")
    return rgb, depth_lr


def test_round_trip_with_echo_backend(echo_backend: EchoBackend) -> None:
    rgb, depth_lr = _scene(44, 60)  # not a multiple of the stride: padded and cropped back
    result = DepthSRPipeline(echo_backend).run(rgb, depth_lr)
    assert echo_backend.calls == [((1, 3, 48, 64), (1, 1, 48, 64))]
    assert result.depth_sr.shape == result.depth_lr_up.shape == (44, 60)
    assert result.depth_sr.dtype == np.float32
    assert result.mask_valid.all()
    # the echo network returns its input, so SR == the bicubic baseline after de-normalization
    np.testing.assert_allclose(result.depth_sr, result.depth_lr_up, atol=1e-5)
    np.testing.assert_allclose(result.depth_lr_up, resize(depth_lr, (44, 60)), atol=1e-5)
    rng = result.depth_range
    assert rng is not None and rng.lo == pytest.approx(depth_lr.min())
    assert rng.hi == pytest.approx(depth_lr.max())
    assert result.depth_mde is not None  # 1 - norm, de-normalized: lo + hi - depth
    np.testing.assert_allclose(result.depth_mde, rng.lo + rng.hi - result.depth_sr, atol=1e-4)
    assert set(result.timings_ms) == {"preprocess", "inference", "postprocess"}
    assert all(v >= 0 for v in result.timings_ms.values())


def test_model_grid_and_output_resolution() -> None:
    rgb, depth_lr = _scene(48, 64)
    backend = EchoBackend(stride=8)
    cfg = RuntimeConfig(model_height=20, model_width=28)
    result = DepthSRPipeline(backend, cfg).run(rgb, depth_lr)
    assert backend.calls[-1][0] == (1, 3, 24, 32)
    assert result.depth_sr.shape == (48, 64) and result.model_hw == (20, 28)
    cfg_model = RuntimeConfig(model_height=20, model_width=28, output_resolution="model")
    pipe = DepthSRPipeline(backend, cfg_model)
    result = pipe.run(rgb, depth_lr)
    assert result.depth_sr.shape == result.depth_lr_up.shape == result.mask_valid.shape == (20, 28)
    info = pipe.scale_camera_info(CameraIntrinsics(width=64, height=48, k=np.eye(3) * 10))
    assert (info.width, info.height) == (28, 20)
    assert info.k[0, 0] == pytest.approx(10 * 28 / 64)
    assert info.k[1, 1] == pytest.approx(10 * 20 / 48)


def test_holes_are_filled_for_the_network_and_nan_without_support(
    echo_backend: EchoBackend,
) -> None:
    rgb, depth_lr = _scene(64, 64)  # LR 16x16
    depth_lr[:, 8:] = 0.0  # right half: no measurement
    depth_lr[2, 2] = np.nan
    depth_lr[3, 3] = np.inf
    cfg = RuntimeConfig(support_radius_px=1)
    result = DepthSRPipeline(echo_backend, cfg).run(rgb, depth_lr)
    assert len(echo_backend.calls) == 1  # EchoBackend asserted finite inputs
    # LR columns >= 8 are empty; with radius 1, LR column 8 is still supported (HR < 36)
    assert result.mask_valid[:, :36].all() and not result.mask_valid[:, 36:].any()
    assert np.isnan(result.depth_sr[:, 36:]).all() and np.isnan(result.depth_lr_up[:, 36:]).all()
    assert np.isfinite(result.depth_sr[:, :36]).all()
    # isolated NaN/inf LR pixels keep support from their neighbours
    assert result.mask_valid[8:16, 8:16].all()


def test_min_max_depth_give_nan_outside_range(echo_backend: EchoBackend) -> None:
    rgb, depth_lr = _scene()
    cfg = RuntimeConfig(min_depth=1.5, max_depth=2.5)
    result = DepthSRPipeline(echo_backend, cfg).run(rgb, depth_lr)
    valid = result.depth_sr[result.mask_valid]
    assert valid.min() >= 1.5 and valid.max() <= 2.5
    assert not result.mask_valid.all() and result.mask_valid.any()
    assert np.isnan(result.depth_sr[~result.mask_valid]).all()


def test_all_invalid_input_gives_all_nan_without_inference(echo_backend: EchoBackend) -> None:
    rgb, depth_lr = _scene()
    for bad in (np.zeros_like(depth_lr), np.full_like(depth_lr, np.nan)):
        result = DepthSRPipeline(echo_backend).run(rgb, bad)
        assert np.isnan(result.depth_sr).all() and result.depth_mde is not None
        assert np.isnan(result.depth_mde).all() and np.isnan(result.depth_lr_up).all()
        assert not result.mask_valid.any() and result.depth_range is None
    assert echo_backend.calls == []


@pytest.mark.parametrize(
    ("rgb", "depth", "match"),
    [
        (np.zeros((48, 64, 3), np.float32), np.ones((12, 16), np.float32), "uint8"),
        (np.zeros((48, 64), np.uint8), np.ones((12, 16), np.float32), r"\(H, W, 3\)"),
        (np.zeros((48, 64, 4), np.uint8), np.ones((12, 16), np.float32), r"\(H, W, 3\)"),
        (np.zeros((48, 64, 3), np.uint8), np.ones((12, 16), np.uint16), "float metres"),
        (np.zeros((48, 64, 3), np.uint8), np.ones((1, 12, 16), np.float32), "float metres"),
        (np.zeros((48, 64, 3), np.uint8), np.ones((16, 16), np.float32), "aspect"),
        ([[0]], np.ones((12, 16), np.float32), "numpy arrays"),
    ],
)
def test_bad_inputs_raise_shape_error(rgb: object, depth: np.ndarray, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        DepthSRPipeline(EchoBackend()).run(rgb, depth)  # type: ignore[arg-type]


def test_fixed_size_backend() -> None:
    with pytest.raises(ConfigError, match="fixed input size 32x32"):
        DepthSRPipeline(
            EchoBackend(input_hw=(32, 32)), RuntimeConfig(model_height=16, model_width=16)
        )
    backend = EchoBackend(input_hw=(32, 40), has_mde=False)
    rgb, depth_lr = _scene(48, 64)
    result = DepthSRPipeline(backend).run(rgb, depth_lr)
    assert backend.calls[-1][0] == (1, 3, 32, 40) and result.depth_sr.shape == (48, 64)
    assert result.depth_mde is None


def test_backend_returning_wrong_shape_is_a_backend_error() -> None:
    class Broken(EchoBackend):
        def infer(self, rgb: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, None]:
            return depth[..., :-1], None

    rgb, depth_lr = _scene()
    with pytest.raises(BackendError, match="depth_sr_norm"):
        DepthSRPipeline(Broken(has_mde=False)).run(rgb, depth_lr)


def test_support_mask_radius() -> None:
    mask = np.zeros((5, 5), dtype=bool)
    mask[2, 2] = True
    out = support_mask(mask, (5, 5), 1)
    assert out.sum() == 9 and out[1:4, 1:4].all()
    assert support_mask(mask, (10, 10), 0).sum() == 4
    assert support_mask(mask, (3, 3), None).all()


def test_upsample_depth_lr_is_what_the_pipeline_uses(echo_backend: EchoBackend) -> None:
    rgb, depth_lr = _scene()
    depth_lr[0, :3] = 0.0
    up, mask_lr = upsample_depth_lr(depth_lr, (48, 64))
    result = DepthSRPipeline(echo_backend, RuntimeConfig(support_radius_px=None)).run(
        rgb, depth_lr
    )
    np.testing.assert_array_equal(result.depth_lr_up, up)
    assert mask_lr.sum() == depth_lr.size - 3


def test_real_pair_with_torch_backend(shared_data: Path, test_checkpoint: Path) -> None:
    from PIL import Image

    from bridgenet_ros.runtime.backends.factory import create_backend

    stems = sorted(p.stem for p in (shared_data / "rgbdd" / "depth").glob("*.png"))
    if not stems:
        pytest.skip(f"no RGB-D-D depth maps under {shared_data / 'rgbdd'}")
    stem = stems[0]
    rgb_path = next((shared_data / "rgbdd" / "rgb").glob(f"{stem}.*"))
    rgb = np.asarray(Image.open(rgb_path).convert("RGB"))[::4, ::4].copy()  # 128x96, fast
    depth_hr = np.asarray(Image.open(shared_data / "rgbdd" / "depth" / f"{stem}.png"))
    depth_hr = depth_hr.astype(np.float32)[::4, ::4] * 0.001
    depth_lr = resize(depth_hr, (depth_hr.shape[0] // 4, depth_hr.shape[1] // 4), "bicubic")
    backend = create_backend("torch", test_checkpoint)
    result = DepthSRPipeline(backend, RuntimeConfig(min_depth=0.1, max_depth=10.0)).run(
        rgb, depth_lr
    )
    assert result.depth_sr.shape == rgb.shape[:2]
    assert result.mask_valid.mean() > 0.9  # RGB-D-D has few holes
    valid = result.depth_sr[result.mask_valid]
    assert np.isfinite(valid).all() and valid.min() >= 0.1 and valid.max() <= 10.0
    # the bicubic baseline must be close to the HR ground truth on a smooth real scene
    err = np.abs(result.depth_lr_up - depth_hr)[result.mask_valid & (depth_hr > 0)]
    assert np.median(err) < 0.05


def test_depth_larger_than_rgb_is_rejected_by_the_pipeline() -> None:
    """One check for node, bench and eval: the LR input may not exceed the RGB size."""
    import numpy as np
    import pytest

    from bridgenet_ros.errors import ShapeError
    from bridgenet_ros.runtime.pipeline import check_inputs

    rgb = np.zeros((24, 32, 3), np.uint8)
    check_inputs(rgb, np.ones((24, 32), np.float32), 0.05)
    with pytest.raises(ShapeError, match="larger than rgb"):
        check_inputs(rgb, np.ones((48, 64), np.float32), 0.05)
