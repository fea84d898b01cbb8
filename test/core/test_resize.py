# SPDX-License-Identifier: Apache-2.0
"""The numpy resize equals PIL's ``Image.resize`` on float32 images (literature protocol)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.runtime.resize import (
    Filter,
    _bands,
    _weights_f32,
    lr_size_for_scale,
    resize,
    resize_weights,
)

PIL_FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "box": Image.BOX}


def _pil(img: np.ndarray, hw: tuple[int, int], method: str) -> np.ndarray:
    return np.asarray(Image.fromarray(img, "F").resize((hw[1], hw[0]), PIL_FILTERS[method]))


@pytest.mark.parametrize("method", ["bicubic", "bilinear", "box"])
@pytest.mark.parametrize(
    "hw", [(24, 32), (48, 64), (36, 48), (17, 29), (144, 192), (120, 160), (250, 300)]
)
def test_matches_pil(method: str, hw: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    img = (rng.random((96, 128)) * 8.0 + 0.5).astype(np.float32)
    out = resize(img, hw, method)  # type: ignore[arg-type]
    ref = _pil(img, hw, method)
    assert out.dtype == np.float32 and out.shape == hw
    np.testing.assert_allclose(out, ref, atol=1e-5, rtol=1e-6)


@pytest.mark.parametrize("method", ["bicubic", "bilinear", "box"])
def test_matches_pil_at_extreme_and_random_ratios(method: str) -> None:
    """The vectorized weight matrices, at the ratios training draws (x2..x16, both ways)."""
    rng = np.random.default_rng(7)
    img = (rng.random((256, 256)) * 4.0 + 0.5).astype(np.float32)
    sizes = [(16, 16), (17, 23), (1, 5), (200, 131)] + [
        (int(a), int(b)) for a, b in rng.integers(8, 256, (6, 2))
    ]
    for hw in sizes:
        np.testing.assert_allclose(
            resize(img, hw, method),
            _pil(img, hw, method),  # type: ignore[arg-type]
            atol=1e-5,
            rtol=1e-6,
            err_msg=str(hw),
        )
        small = img[: hw[0], : hw[1]].copy()
        np.testing.assert_allclose(
            resize(small, (256, 256), method),  # type: ignore[arg-type]
            _pil(small, (256, 256), method),
            atol=1e-5,
            rtol=1e-6,
            err_msg=f"up from {hw}",
        )


def test_non_integer_scale_like_phone_tof() -> None:
    rng = np.random.default_rng(2)
    hr = (rng.random((384, 512)) * 3.0).astype(np.float32)
    h, w = lr_size_for_scale(384, 512, 512 / 192)
    assert (h, w) == (144, 192)
    np.testing.assert_allclose(resize(hr, (h, w)), _pil(hr, (h, w), "bicubic"), atol=1e-5)


def test_lr_size_is_floor_division() -> None:
    assert lr_size_for_scale(384, 512, 16) == (24, 32)
    assert lr_size_for_scale(370, 431, 4) == (92, 107)
    assert lr_size_for_scale(480, 640, 2.67) == (179, 239)
    with pytest.raises(ShapeError):
        lr_size_for_scale(10, 10, 0.5)


def test_channels_resized_independently() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.random((30, 40, 3)).astype(np.float32)
    out = resize(rgb, (60, 80))
    for c in range(3):
        np.testing.assert_allclose(out[..., c], resize(rgb[..., c], (60, 80)), atol=1e-6)


def test_weights_rows_sum_to_one_and_are_cached() -> None:
    weights = resize_weights(100, 7)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    assert resize_weights(100, 7) is weights
    assert not weights.flags.writeable


def test_constant_image_stays_constant() -> None:
    img = np.full((20, 30), 2.5, np.float32)
    np.testing.assert_allclose(resize(img, (7, 11)), 2.5, atol=1e-6)
    np.testing.assert_allclose(resize(img, (70, 110)), 2.5, atol=1e-6)


def test_bad_shapes() -> None:
    with pytest.raises(ShapeError):
        resize(np.zeros(5, np.float32), (2, 2))
    with pytest.raises(ShapeError):
        resize(np.zeros((4, 4), np.float32), (0, 2))


@pytest.mark.parametrize(
    ("method", "src_hw", "out_hw"),
    [("bicubic", (120, 160), (480, 640)), ("bilinear", (45, 61), (190, 333))],
)
def test_banded_product_equals_the_dense_one(
    method: Filter, src_hw: tuple[int, int], out_hw: tuple[int, int]
) -> None:
    src = np.random.default_rng(3).random(src_hw, dtype=np.float32) * 4.0
    for in_size, out_size in zip(src_hw, out_hw):
        bands = _bands(in_size, out_size, method)
        assert bands is not None  # up-sampling: a narrow band, computed block by block
        assert [b[0] for b in bands[1:]] == [b[1] for b in bands[:-1]]  # rows tile the output
        assert bands[0][0] == 0 and bands[-1][1] == out_size
    wy, wx = _weights_f32(src_hw[0], out_hw[0], method), _weights_f32(src_hw[1], out_hw[1], method)
    np.testing.assert_allclose(
        resize(src, out_hw, method), (wy @ src) @ wx.T, rtol=1e-6, atol=1e-6
    )
    assert _bands(480, 60, "bicubic") is None  # strong down-sampling: the dense product
