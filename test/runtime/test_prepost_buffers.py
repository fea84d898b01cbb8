# SPDX-License-Identifier: Apache-2.0
"""The cheaper pre/post-processing steps give exactly what the straightforward numpy gives."""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.normalize import DepthRange, denormalize_depth, normalize_depth
from bridgenet_ros.runtime.padding import fill_edge_padding, pad_info, pad_to_multiple
from bridgenet_ros.runtime.pipeline import DepthSRPipeline, rgb_to_unit_chw, support_mask

from .conftest import EchoBackend


class AliasingBackend(EchoBackend):
    """Returns its depth input buffer itself (no copy) as SR: outputs alias the inputs."""

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        self.calls.append((rgb.shape, depth_lr_up_norm.shape))
        return depth_lr_up_norm, rgb[:, :1]


def _frame(h: int, w: int, scale: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    depth = (1.0 + 3.0 * rng.random((h // scale, w // scale))).astype(np.float32)
    depth[rng.random(depth.shape) < 0.1] = 0.0
    return rgb, depth


@pytest.mark.parametrize("shape", [(1, 3, 44, 60), (1, 1, 5, 7), (2, 16, 16), (9, 1)])
@pytest.mark.parametrize("multiple", [1, 8, 16])
def test_fill_edge_padding_equals_np_pad(shape: tuple[int, ...], multiple: int) -> None:
    image = np.random.default_rng(0).random(shape).astype(np.float32)
    want, want_info = pad_to_multiple(image, multiple)
    info = pad_info(shape[-2], shape[-1], multiple)
    assert info == want_info
    buffer = np.full(want.shape, np.nan, dtype=np.float32)
    buffer[..., : shape[-2], : shape[-1]] = image
    assert fill_edge_padding(buffer, info) is buffer
    np.testing.assert_array_equal(buffer, want)


def _support_reference(mask: np.ndarray, out_hw: tuple[int, int], radius: int) -> np.ndarray:
    """Per output pixel: nearest LR pixel, any valid LR pixel within the Chebyshev radius."""
    h, w = mask.shape
    out = np.zeros(out_hw, dtype=bool)
    for i in range(out_hw[0]):
        y = min(int((i + 0.5) * h / out_hw[0]), h - 1)
        for j in range(out_hw[1]):
            x = min(int((j + 0.5) * w / out_hw[1]), w - 1)
            window = mask[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1]
            out[i, j] = window.any()
    return out


@pytest.mark.parametrize("radius", [0, 1, 2, 5, 30])
def test_support_mask_matches_brute_force(radius: int) -> None:
    mask = np.random.default_rng(radius).random((9, 12)) > 0.85
    out_hw = (28, 35)  # not a multiple of the LR size
    got = support_mask(mask, out_hw, radius)
    np.testing.assert_array_equal(got, _support_reference(mask, out_hw, radius))
    assert got.flags.writeable and got.flags.c_contiguous


def test_rgb_to_unit_chw_is_exact() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    rgb[0, 0] = (0, 255, 17)
    out = np.empty((3, 6, 7), dtype=np.float32)
    assert rgb_to_unit_chw(rgb, out) is out
    want = rgb.astype(np.float32).transpose(2, 0, 1) / np.float32(255.0)
    np.testing.assert_array_equal(out, want)
    resized = rgb.astype(np.float32) * 1.01 - 1.0  # a resampled image overshoots 0..255
    np.testing.assert_array_equal(
        rgb_to_unit_chw(resized, out), np.clip(resized.transpose(2, 0, 1) / 255.0, 0.0, 1.0)
    )


def test_normalize_into_a_buffer_and_back() -> None:
    depth = np.random.default_rng(2).random((5, 6)).astype(np.float32) * 4 + 0.5
    rng = DepthRange(lo=0.5, hi=4.5)
    want = ((depth - rng.lo) / rng.span).astype(np.float32)
    np.testing.assert_array_equal(normalize_depth(depth, rng), want)
    buffer = np.zeros((8, 8), dtype=np.float32)
    assert normalize_depth(depth, rng, out=buffer[:5, :6]).base is buffer
    np.testing.assert_array_equal(buffer[:5, :6], want)
    assert not buffer[5:].any() and not buffer[:, 6:].any()
    back = denormalize_depth(want, rng)
    assert back.dtype == np.float32 and not np.shares_memory(back, want)
    np.testing.assert_array_equal(back, (want * rng.span + rng.lo).astype(np.float32))


@pytest.mark.parametrize("backend_cls", [EchoBackend, AliasingBackend])
def test_reused_input_buffers_change_no_result(backend_cls: type[EchoBackend]) -> None:
    """run() reuses the network-input buffers across frames; results stay independent."""
    frames = [
        _frame(44, 60, 4, 0),
        _frame(48, 64, 4, 1),
        _frame(44, 60, 2, 2),
        _frame(44, 60, 4, 3),
    ]
    config = RuntimeConfig(min_depth=0.1, max_depth=10.0)
    pipe = DepthSRPipeline(backend_cls(), config)
    results = [pipe.run(rgb, depth) for rgb, depth in frames]
    for (rgb, depth), got in zip(frames, results):
        fresh = DepthSRPipeline(backend_cls(), config).run(rgb, depth)
        for name in ("depth_sr", "depth_mde", "depth_lr_up", "mask_valid"):
            np.testing.assert_array_equal(getattr(got, name), getattr(fresh, name), err_msg=name)
    assert len(pipe._spare_inputs) == 1  # one pair reused, not one per frame


def test_preprocess_buffers_are_used_only_when_they_fit(echo_backend: EchoBackend) -> None:
    pipe = DepthSRPipeline(echo_backend)
    rgb, depth = _frame(44, 60, 4, 0)
    first = pipe.preprocess(rgb, depth)
    again = pipe.preprocess(rgb, depth, buffers=(first.rgb, first.depth_lr_up_norm))
    assert again.rgb is first.rgb and again.depth_lr_up_norm is first.depth_lr_up_norm
    wrong = (np.zeros((1, 3, 8, 8), np.float32), np.zeros((1, 1, 8, 8), np.float32))
    other = pipe.preprocess(rgb, depth, buffers=wrong)
    assert other.rgb.shape == (1, 3, 48, 64) and not np.shares_memory(other.rgb, wrong[0])
    np.testing.assert_array_equal(other.rgb, again.rgb)
    np.testing.assert_array_equal(other.depth_lr_up_norm, again.depth_lr_up_norm)


def test_postprocess_copies_the_bicubic_map_unless_consumed(echo_backend: EchoBackend) -> None:
    pipe = DepthSRPipeline(echo_backend, RuntimeConfig(support_radius_px=0))
    rgb, depth = _frame(44, 60, 4, 0)
    pre = pipe.preprocess(rgb, depth)
    assert pre.depth_lr_up is not None
    kept = pre.depth_lr_up.copy()
    sr, mde = echo_backend.infer(pre.rgb, pre.depth_lr_up_norm)
    *_, up, mask = pipe.postprocess(pre, sr, mde)
    assert not mask.all()  # some pixels masked: NaN must not leak into pre
    np.testing.assert_array_equal(pre.depth_lr_up, kept)
    *_, up_consumed, _ = pipe.postprocess(pre, sr, mde, consume=True)
    assert up_consumed is pre.depth_lr_up
    np.testing.assert_array_equal(up_consumed, up)
