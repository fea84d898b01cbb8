# SPDX-License-Identifier: Apache-2.0
"""Registration of unaligned depth: a two-camera rendered scene, z-buffer, holes, grid, checks."""

from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.data.synthetic import render_scene, scaled_intrinsics
from bridgenet_ros.errors import DataError, ShapeError
from bridgenet_ros.runtime.camera import CameraIntrinsics, scale_camera_info
from bridgenet_ros.runtime.pipeline import check_inputs
from bridgenet_ros.runtime.resize import resize
from bridgenet_ros.stream.extrinsic import Extrinsic
from bridgenet_ros.stream.registration import (
    DepthRegistrar,
    camera_infos_differ,
    distortion_warning,
    register_depth,
    registration_grid,
    scale_intrinsics_centered,
)


def _info(height: int, width: int, fx: float, fy: float | None = None) -> CameraIntrinsics:
    """Pinhole camera with the principal point at the image centre (pixel-centre convention)."""
    k = scaled_intrinsics(height, width, fx, fx if fy is None else fy)  # fx at 640x480
    return CameraIntrinsics(width=width, height=height, k=k)


# ------------------------------------------------------------------------- two-camera scene

RGB_HW = (240, 320)
DEPTH_HW = (120, 160)
RGB_FX = 600.0  # at 640x480: 56 x 44 deg
DEPTH_FX = 400.0  # at 640x480: 77 x 62 deg, wider than the colour camera, half its pixels
# depth optical frame from colour optical frame: 5 cm right, 1 cm down, 2.3 deg of yaw
_Q = np.array([0.0, 0.02, 0.0, 1.0]) / np.linalg.norm([0.0, 0.02, 0.0, 1.0])
DEPTH_FROM_RGB = Extrinsic.from_quaternion([0.05, 0.01, 0.0], _Q.tolist())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_registered_depth_matches_the_colour_view_on_the_lr_grid(seed: int) -> None:
    """Render one scene from the colour and from the depth camera; register the depth view.

    Ground truth: the colour camera's view rendered directly on the LR grid (with the
    intrinsics the registrar reports for it), i.e. the colour-view depth point-sampled at the
    LR pixel centres. Tolerance: 95 % of the registered pixels within 2 % of the true depth
    (the rest: up to one LR pixel of edge placement at depth discontinuities); at least 90 %
    of the colour view covered (the depth camera sees all of it; the gaps are disocclusions).
    """

    def rng() -> np.random.Generator:
        return np.random.default_rng([11, seed])

    rgb_info = _info(*RGB_HW, RGB_FX)
    depth_info = _info(*DEPTH_HW, DEPTH_FX)
    _, depth_view, _ = render_scene(
        rng(),
        *DEPTH_HW,
        view_from_ref=(DEPTH_FROM_RGB.rotation, DEPTH_FROM_RGB.translation),
        intrinsics=depth_info.k,
    )
    registrar = DepthRegistrar(rgb_info, DEPTH_FROM_RGB.inverse())
    registered = registrar(depth_view, depth_info)

    assert registered.dtype == np.float32
    assert registered.shape == registrar.grid(depth_info) == (80, 107)  # 240 * 400/600
    lr_info = registrar.lr_info(depth_info)
    _, truth, _ = render_scene(rng(), *registered.shape, intrinsics=lr_info.k)

    valid = np.isfinite(registered)
    assert valid.mean() > 0.9
    rel = np.abs(registered[valid] - truth[valid]) / truth[valid]
    assert np.mean(rel < 0.02) > 0.95
    assert np.median(rel) < 0.005


def test_unregistered_depth_would_fail_the_same_check() -> None:
    """The check above can fail: the depth view merely resized to the LR grid is far off."""
    rgb_info = _info(*RGB_HW, RGB_FX)
    depth_info = _info(*DEPTH_HW, DEPTH_FX)
    rng = np.random.default_rng([11, 0])
    _, depth_view, _ = render_scene(
        rng,
        *DEPTH_HW,
        view_from_ref=(DEPTH_FROM_RGB.rotation, DEPTH_FROM_RGB.translation),
        intrinsics=depth_info.k,
    )
    registrar = DepthRegistrar(rgb_info, DEPTH_FROM_RGB.inverse())
    lr_info = registrar.lr_info(depth_info)
    grid = registrar.grid(depth_info)
    _, truth, _ = render_scene(np.random.default_rng([11, 0]), *grid, intrinsics=lr_info.k)
    rel = np.abs(resize(depth_view, grid, "bilinear") - truth) / truth
    assert np.mean(rel < 0.02) < 0.8


# ---------------------------------------------------------------------- z-buffer and holes


def test_occlusion_nearest_wins_and_disocclusions_are_holes() -> None:
    """Wall at 2 m, a square at 1 m; the depth camera sits 5 cm right of the colour camera.

    Same intrinsics (fx 44 px): the wall shifts right by 44 * 0.05 / 2 = 1.1 px, the square by
    2.2 px. Square columns 20..29 land on 22..31; wall column 30 lands on 31, behind the square
    (the z-buffer keeps 1 m); wall column 19 lands on 20, so column 21 is seen by the colour
    camera only (a hole). Column 0 is outside the depth camera's view (unhit).
    """
    k = np.array([[44.0, 0.0, 29.5], [0.0, 44.0, 19.5], [0.0, 0.0, 1.0]])
    info = CameraIntrinsics(width=60, height=40, k=k)
    depth = np.full((40, 60), 2.0, dtype=np.float32)
    depth[15:25, 20:30] = 1.0
    registered = register_depth(depth, info, info, Extrinsic(np.eye(3), [0.05, 0, 0]), (40, 60))

    row = registered[20]
    np.testing.assert_allclose(row[22:32], 1.0)  # 31 also received the wall at 2 m
    assert np.isnan(row[21])  # disoccluded
    np.testing.assert_allclose(row[[1, 10, 20, 32, 40, 59]], 2.0)
    assert np.isnan(registered[:, 0]).all()  # outside the depth camera's view
    # the same with the rows reversed (scan order does not decide the winner)
    flipped = register_depth(
        depth[::-1].copy(), info, info, Extrinsic(np.eye(3), [0.05, 0, 0]), (40, 60)
    )
    np.testing.assert_array_equal(flipped[::-1], registered)


def test_pixels_outside_a_narrow_depth_view_and_depth_holes_are_invalid() -> None:
    rgb_info = _info(60, 80, 525.0)
    depth_info = _info(60, 80, 1050.0)  # half the field of view, same pixel count
    depth = np.full((60, 80), 3.0, dtype=np.float32)
    depth[20:40, 30:50] = 0.0  # sensor hole (16UC1 convention)
    depth[0:10, 0:10] = np.nan  # REP 118 hole
    assert registration_grid(rgb_info, depth_info) == (60, 80)  # clamped to the RGB size
    registered = DepthRegistrar(rgb_info, Extrinsic.identity())(depth, depth_info)

    valid = np.isfinite(registered)
    rows, cols = np.nonzero(valid.any(axis=0)[None, :] & valid.any(axis=1)[:, None])
    # the depth view covers the centre half: columns 20..59 of 80, rows 15..44 of 60
    assert (cols.min(), cols.max(), rows.min(), rows.max()) == (20, 59, 15, 44)
    assert not valid[:, :20].any() and not valid[:, 60:].any() and not valid[:15].any()
    # the 20x20 sensor hole shrinks to 10x10 in the colour view, minus a footprint at its rim
    assert not valid[26:34, 36:44].any()
    assert not valid[15:20, 20:25].any()  # the NaN corner
    np.testing.assert_allclose(registered[valid], 3.0)


# ------------------------------------------------------------------------------- identity


def test_identity_with_the_same_camera_returns_the_depth() -> None:
    info = _info(30, 40, 525.0)
    depth = np.random.default_rng(0).uniform(0.5, 5.0, (30, 40)).astype(np.float32)
    depth[3, 4] = 0.0
    depth[5, 6] = np.nan
    out = register_depth(depth, info, info, Extrinsic.identity(), (30, 40))
    valid = np.isfinite(depth) & (depth > 0)
    np.testing.assert_allclose(out[valid], depth[valid], rtol=1e-6)
    assert np.isnan(out[~valid]).all()


def test_identity_onto_a_coarser_grid_is_about_a_resize() -> None:
    """Same camera, half the grid: about the bilinear resize.

    Every LR pixel takes the nearer of the two depth pixels whose footprints share its centre;
    on a slanted ramp that is off by half a depth pixel's step (5 mm) from the resize.
    """
    rgb_info = _info(40, 60, 525.0)
    depth_info = scale_intrinsics_centered(rgb_info, 60, 40)
    ramp = (1.0 + 0.01 * np.arange(60, dtype=np.float32))[None, :] + np.zeros((40, 1), np.float32)
    out = register_depth(ramp, depth_info, rgb_info, Extrinsic.identity(), (20, 30))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, ramp[::2, ::2], rtol=1e-6)  # the nearer of each pair
    expected = resize(ramp, (20, 30), "bilinear")  # away from its truncated border taps
    np.testing.assert_allclose(out[:, 1:-1], expected[:, 1:-1], atol=0.0051)


# ------------------------------------------------------------------------- grid and errors


def test_grid_and_lr_intrinsics_for_a_realsense_d435() -> None:
    """D435 at 640x480: depth fx 390, colour fx 613 (the issue's numbers)."""
    depth_info = CameraIntrinsics(640, 480, [[390, 0, 320, 0, 390, 240, 0, 0, 1]])
    rgb_info = CameraIntrinsics(640, 480, [[613, 0, 320, 0, 613, 240, 0, 0, 1]])
    registrar = DepthRegistrar(rgb_info, Extrinsic.identity())
    assert registrar.grid(depth_info) == (305, 407)
    lr = registrar.lr_info(depth_info)
    assert (lr.width, lr.height) == (407, 305)
    np.testing.assert_allclose(lr.k[0, 0], 613 * 407 / 640)
    np.testing.assert_allclose(lr.k[0, 2], (320 + 0.5) * 407 / 640 - 0.5)
    np.testing.assert_allclose(lr.p[:, :3], lr.k)
    # what the pipeline then gets: smaller than the RGB, the RGB's aspect
    registered = registrar(np.full((480, 640), 2.0, np.float32), depth_info)
    check_inputs(np.zeros((480, 640, 3), np.uint8), registered, aspect_tolerance=0.01)
    # a depth image at half size with the full-size camera_info: rescaled, same grid per angle
    half = np.full((240, 320), 2.0, dtype=np.float32)
    assert registrar(half, depth_info).shape == registration_grid(
        rgb_info, scale_intrinsics_centered(depth_info, 320, 240)
    )
    assert DepthRegistrar(rgb_info, Extrinsic.identity(), (100, 133))(half, depth_info).shape == (
        100,
        133,
    )


def test_registrar_errors() -> None:
    rgb_info = _info(48, 64, 525.0)
    registrar = DepthRegistrar(rgb_info, Extrinsic.identity())
    depth = np.ones((24, 32), np.float32)
    with pytest.raises(DataError, match="no depth/camera_info"):
        registrar(depth, None)
    with pytest.raises(ShapeError, match="another aspect ratio"):
        registrar(depth, _info(48, 48, 525.0))
    with pytest.raises(ShapeError, match=r"\(h, w\)"):
        registrar(np.ones((2, 24, 32), np.float32), _info(24, 32, 525.0))
    with pytest.raises(ShapeError, match="float metres"):
        register_depth(depth.astype(np.uint16), rgb_info, rgb_info, Extrinsic.identity(), (4, 4))
    with pytest.raises(DataError, match="no usable focal length"):
        registrar(depth, CameraIntrinsics(32, 24, np.zeros(9), np.zeros(12)))
    with pytest.raises(ShapeError, match="at most the RGB size"):
        DepthRegistrar(rgb_info, Extrinsic.identity(), (96, 128))
    with pytest.raises(DataError, match="rgb camera_info"):
        DepthRegistrar(CameraIntrinsics(64, 48, np.zeros(9)), Extrinsic.identity())


def test_all_invalid_depth_gives_all_nan() -> None:
    info = _info(24, 32, 525.0)
    out = register_depth(
        np.zeros((24, 32), np.float32), info, info, Extrinsic.identity(), (12, 16)
    )
    assert out.shape == (12, 16) and np.isnan(out).all()


# ------------------------------------------------------------------- camera_info mismatch


def test_camera_infos_that_agree_up_to_scale() -> None:
    rgb_info = _info(480, 640, 613.0)
    assert camera_infos_differ(rgb_info, rgb_info) is None
    for w, h in [(160, 120), (213, 160), (320, 240)]:  # image_proc's and our scaling rules
        assert camera_infos_differ(scale_camera_info(rgb_info, w, h), rgb_info) is None
        assert camera_infos_differ(scale_intrinsics_centered(rgb_info, w, h), rgb_info) is None


def test_camera_infos_of_a_d435_differ_with_the_numbers() -> None:
    depth_info = CameraIntrinsics(640, 480, [[390, 0, 320, 0, 390, 240, 0, 0, 1]])
    rgb_info = CameraIntrinsics(640, 480, [[613, 0, 320, 0, 613, 240, 0, 0, 1]])
    reason = camera_infos_differ(depth_info, rgb_info)
    assert reason is not None
    assert "fx 390.0" in reason and "fx 613.0" in reason and "register_depth" in reason
    assert "78.7x63.2 deg" in reason and "55.1x42.8 deg" in reason
    assert "principal point" not in reason


def test_camera_infos_differ_in_principal_point_aspect_and_calibration() -> None:
    rgb_info = _info(480, 640, 525.0)
    shifted = CameraIntrinsics(640, 480, rgb_info.k + [[0, 0, 16], [0, 0, 0], [0, 0, 0]])
    reason = camera_infos_differ(shifted, rgb_info)
    assert reason is not None and "principal point" in reason and "field of view" not in reason
    assert camera_infos_differ(_info(480, 640, 527.0), rgb_info) is None  # 0.4 %: same
    wide = CameraIntrinsics(640, 360, [[525, 0, 319.5, 0, 525, 179.5, 0, 0, 1]])  # 16:9 crop
    assert "field of view" in str(camera_infos_differ(wide, rgb_info))
    zero = CameraIntrinsics(640, 480, np.zeros(9), np.zeros(12))
    assert "no usable focal length" in str(camera_infos_differ(zero, rgb_info))


def test_distortion_warning() -> None:
    assert distortion_warning("plumb_bob", [0.0] * 5, "rgb") is None
    assert distortion_warning("", [], "depth") is None
    warning = distortion_warning("plumb_bob", [0.1, -0.2, 0, 0, 0], "rgb")
    assert warning is not None and "plumb_bob" in warning and "rectified" in warning
