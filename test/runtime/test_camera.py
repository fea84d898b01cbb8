# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.runtime.camera import CameraIntrinsics, scale_camera_info


def test_scaling_follows_image_proc_resize() -> None:
    k = [500.0, 0.5, 320.0, 0.0, 510.0, 240.0, 0.0, 0.0, 1.0]
    p = [500.0, 0.5, 320.0, -25.0, 0.0, 510.0, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    info = CameraIntrinsics(width=640, height=480, k=np.array(k), p=np.array(p))
    out = scale_camera_info(info, 160, 240)  # sx = 0.25, sy = 0.5
    assert (out.width, out.height) == (160, 240)
    expected_k = np.array([[125.0, 0.5, 80.0], [0.0, 255.0, 120.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(out.k, expected_k)
    expected_p = np.array(
        [[125.0, 0.5, 80.0, -6.25], [0.0, 255.0, 120.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    )
    np.testing.assert_allclose(out.p, expected_p)
    np.testing.assert_allclose(info.k.reshape(-1), k)  # the input is not modified


def test_default_projection_is_k_with_zero_translation() -> None:
    info = CameraIntrinsics(width=4, height=2, k=np.eye(3) * 2)
    np.testing.assert_allclose(info.p[:, :3], np.eye(3) * 2)
    np.testing.assert_allclose(info.p[:, 3], 0.0)


def test_bad_sizes() -> None:
    with pytest.raises(ShapeError, match="9 values"):
        CameraIntrinsics(width=4, height=2, k=np.ones(8))
    info = CameraIntrinsics(width=4, height=2, k=np.eye(3))
    with pytest.raises(ShapeError, match="positive"):
        scale_camera_info(info, 0, 2)
