# SPDX-License-Identifier: Apache-2.0
"""Camera intrinsics scaled for a resized image, as ``image_proc``'s resize node does.

``image_proc::ResizeNode`` scales ``K`` (fx, cx by ``sx``; fy, cy by ``sy``) and ``P`` (fx, cx,
Tx by ``sx``; fy, cy by ``sy``) with ``sx = out_width / in_width``, ``sy = out_height /
in_height``, and sets the new width/height; distortion ``D`` and rectification ``R`` are
unchanged. We reproduce exactly that so our ``depth_sr/camera_info`` matches what users get from
``image_proc``. Plain arrays: the ROS node copies the fields to and from ``CameraInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bridgenet_ros.errors import ShapeError

__all__ = ["CameraIntrinsics", "scale_camera_info"]


def _identity_p(k: np.ndarray) -> np.ndarray:
    p = np.zeros((3, 4), dtype=np.float64)
    p[:, :3] = k
    return p


@dataclass(frozen=True)
class CameraIntrinsics:
    """The parts of ``sensor_msgs/CameraInfo`` that a resize changes.

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        k: ``(3, 3)`` float64 intrinsic matrix (row-major ``K``).
        p: ``(3, 4)`` float64 projection matrix; defaults to ``[K | 0]``.
    """

    width: int
    height: int
    k: np.ndarray
    p: np.ndarray = field(default_factory=lambda: np.zeros((0,)))

    def __post_init__(self) -> None:
        k = np.asarray(self.k, dtype=np.float64).reshape(-1)
        if k.size != 9:
            raise ShapeError(f"CameraIntrinsics.k needs 9 values (3x3), got {k.size}")
        object.__setattr__(self, "k", k.reshape(3, 3).copy())
        p = np.asarray(self.p, dtype=np.float64).reshape(-1)
        if p.size == 0:
            p = _identity_p(self.k).reshape(-1)
        if p.size != 12:
            raise ShapeError(f"CameraIntrinsics.p needs 12 values (3x4), got {p.size}")
        object.__setattr__(self, "p", p.reshape(3, 4).copy())
        if self.width <= 0 or self.height <= 0:
            raise ShapeError(
                f"CameraIntrinsics: width and height must be positive, got "
                f"{self.width}x{self.height}"
            )


def scale_camera_info(info: CameraIntrinsics, width: int, height: int) -> CameraIntrinsics:
    """Intrinsics for the image resized from ``info.width x info.height`` to ``width x height``.

    Args:
        info: intrinsics of the source image.
        width: output width in pixels.
        height: output height in pixels.

    Returns:
        New intrinsics; ``K[0,0], K[0,2], P[0,0], P[0,2], P[0,3]`` times ``width / info.width``,
        ``K[1,1], K[1,2], P[1,1], P[1,2]`` times ``height / info.height`` (image_proc's rule).

    Raises:
        ShapeError: if the output size is not positive.
    """
    if width <= 0 or height <= 0:
        raise ShapeError(f"scale_camera_info: output size must be positive, got {width}x{height}")
    sx = width / info.width
    sy = height / info.height
    k = info.k.copy()
    p = info.p.copy()
    k[0, 0] *= sx
    k[0, 2] *= sx
    k[1, 1] *= sy
    k[1, 2] *= sy
    p[0, 0] *= sx
    p[0, 2] *= sx
    p[0, 3] *= sx
    p[1, 1] *= sy
    p[1, 2] *= sy
    return CameraIntrinsics(width=width, height=height, k=k, p=p)
