# SPDX-License-Identifier: Apache-2.0
"""Registration of unaligned depth into the colour camera (ROS-free numpy).

A depth sensor that is not the colour camera (a separate ToF/LiDAR module, RealSense depth
without ``align_depth``) sees the scene from another place with other intrinsics. Before super-
resolution its low-resolution depth is reprojected into the colour camera:

1. every valid depth pixel ``(u, v, z)`` is back-projected with the depth camera's pinhole
   matrix, moved by the depth -> colour :class:`Extrinsic` and projected into the colour camera
   scaled to a low-resolution grid;
2. each depth pixel covers the target pixels whose centres lie in the projection of its own
   square footprint (its corners ``(u +- 0.5, v +- 0.5)`` at depth ``z``; at least the pixel
   nearest to its centre; at most ``FOOTPRINT_MAX_PX`` per axis), so a surface seen at a similar
   angular resolution leaves no sampling holes;
3. z-buffer: where several depth pixels land on one target pixel, the nearest surface (smallest
   colour-frame ``z``) wins. Target pixels that no depth pixel reaches (outside the depth
   camera's view, disoccluded behind foreground edges, depth holes) are NaN (REP 117; the
   pipeline's :func:`~bridgenet_ros.runtime.normalize.valid_mask` treats 0 and NaN alike).

The output is the colour-frame ``z`` in metres (float32), as an aligned depth image holds.

**The LR grid.** :func:`registration_grid` keeps the colour image's aspect ratio and matches
the depth camera's *angular* resolution: ``s = sqrt(fx_d * fy_d) / sqrt(fx_rgb * fy_rgb)``
(clamped to ``<= 1``), grid ``round(H_rgb * s) x round(W_rgb * s)``. Where both views cover the
same field this is about the depth sensor's pixel count; where the depth camera sees wider
(RealSense D435: depth fx 390 vs colour 613 at 640x480) the colour view covers only part of the
depth image, and a grid of the depth's full pixel count would be sparser than the depth samples
landing in it (about 60 % holes for the D435); matching the angular resolution keeps about one
sample per target pixel. The pipeline still sees a low-resolution map (never larger than the
RGB) with the RGB's aspect.

**Scaling the RGB intrinsics to the grid.** :func:`scale_intrinsics_centered` maps pixel centres
(``cx' = (cx + 0.5) * sx - 0.5``, ``fx' = fx * sx``), which is how the package's ``resize`` (and
the bicubic down-sampling that made the training LR) aligns a low-resolution grid with the
full-resolution one, so the pipeline's up-sampling puts the registered samples back where they
belong. ``image_proc``'s rule (:func:`~bridgenet_ros.runtime.camera.scale_camera_info`,
``cx' = cx * sx``) differs from it by ``0.5 * (1 - sx)`` pixels; the published
``depth_sr/camera_info`` keeps image_proc's rule.

**Pinhole model.** Both cameras are used through ``P[:, :3]`` (``K`` where ``P`` is unset), as
``image_geometry`` does for rectified images; ``P``'s translation column is ignored (the
extrinsic carries the baseline). Lens distortion is not modelled: feed rectified images or
cameras whose ``D`` is zero; :func:`distortion_warning` returns a warning for non-zero ``D``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bridgenet_ros.errors import DataError, ShapeError
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.runtime.normalize import valid_mask
from bridgenet_ros.stream.extrinsic import Extrinsic

__all__ = [
    "FOOTPRINT_MAX_PX",
    "DepthRegistrar",
    "Extrinsic",
    "camera_infos_differ",
    "distortion_warning",
    "register_depth",
    "registration_grid",
    "scale_intrinsics_centered",
]

#: largest footprint of one depth pixel in the target grid, per axis (pixels)
FOOTPRINT_MAX_PX = 8
#: points closer than this to the colour camera's image plane (or behind it) are dropped
MIN_Z_M = 1e-3


# -------------------------------------------------------------------------------- intrinsics


def _pinhole(info: CameraIntrinsics, which: str) -> np.ndarray:
    """``P[:, :3]`` (``K`` when ``P`` has no focal length) of a camera, ``(3, 3)`` float64.

    Raises:
        DataError: neither ``P`` nor ``K`` has positive, finite focal lengths.
    """
    for matrix in (info.p[:, :3], info.k):
        if np.isfinite(matrix).all() and matrix[0, 0] > 0 and matrix[1, 1] > 0:
            if matrix[2, 0] != 0 or matrix[2, 1] != 0 or matrix[2, 2] != 1:
                continue
            return np.asarray(matrix, dtype=np.float64)
    raise DataError(
        f"{which} camera_info has no usable focal length (K = {info.k.ravel().tolist()}): "
        "publish the calibrated camera_info"
    )


def scale_intrinsics_centered(info: CameraIntrinsics, width: int, height: int) -> CameraIntrinsics:
    """Intrinsics of ``info`` for the same view sampled on a ``width x height`` grid.

    Pixel centres map onto pixel centres (``cx' = (cx + 0.5) * sx - 0.5``, ``fx' = fx * sx``,
    likewise in y; ``P``'s translation column scales with ``sx``/``sy``), the alignment of the
    package's ``resize``. Differs from image_proc's rule by ``0.5 * (1 - sx)`` px.

    Raises:
        ShapeError: non-positive size.
    """
    if width <= 0 or height <= 0:
        raise ShapeError(f"grid size must be positive, got {width}x{height}")
    sx, sy = width / info.width, height / info.height
    k, p = info.k.copy(), info.p.copy()
    for m in (k, p):
        m[0, 0] *= sx
        m[0, 1] *= sx
        m[0, 2] = (m[0, 2] + 0.5) * sx - 0.5
        m[1, 1] *= sy
        m[1, 2] = (m[1, 2] + 0.5) * sy - 0.5
    p[0, 3] *= sx
    p[1, 3] *= sy
    return CameraIntrinsics(width=int(width), height=int(height), k=k, p=p)


def _fit_to_image(info: CameraIntrinsics, hw: tuple[int, int], which: str) -> CameraIntrinsics:
    """``info`` for an image of ``hw``: rescaled when it describes the same view at another size.

    Raises:
        ShapeError: the aspect ratios differ by more than 1 % (the camera_info belongs to
            another image).
    """
    h, w = int(hw[0]), int(hw[1])
    if (info.height, info.width) == (h, w):
        return info
    if abs((w / h) / (info.width / info.height) - 1.0) > 0.01:
        raise ShapeError(
            f"{which} camera_info is {info.width}x{info.height} but the {which} image is "
            f"{w}x{h} (another aspect ratio): the camera_info belongs to another stream"
        )
    return scale_intrinsics_centered(info, w, h)


def registration_grid(rgb_info: CameraIntrinsics, depth_info: CameraIntrinsics) -> tuple[int, int]:
    """LR grid ``(h, w)`` for registered depth: the RGB's aspect at the depth's angular resolution.

    Args:
        rgb_info: the colour camera (full resolution).
        depth_info: the depth camera, for the depth image as it is registered.

    Returns:
        ``(round(H_rgb * s), round(W_rgb * s))`` with ``s = sqrt(fx_d fy_d / (fx_rgb fy_rgb))``
        clamped to ``(0, 1]``, each side at least 2.

    Raises:
        DataError: a camera without a usable focal length.
    """
    k_d, k_r = _pinhole(depth_info, "depth"), _pinhole(rgb_info, "rgb")
    s = min(1.0, math.sqrt((k_d[0, 0] * k_d[1, 1]) / (k_r[0, 0] * k_r[1, 1])))
    return max(2, round(rgb_info.height * s)), max(2, round(rgb_info.width * s))


def camera_infos_differ(
    depth_info: CameraIntrinsics, rgb_info: CameraIntrinsics, tolerance: float = 0.01
) -> str | None:
    """Why the depth camera is not the colour camera, or ``None`` when it is (up to scale).

    Aligned depth has the colour camera's intrinsics scaled to its own size: the same
    ``fx / width``, ``fy / height`` and principal point as a fraction of the image. The check
    compares those; ``tolerance`` is relative for the focal lengths and a fraction of the image
    size for the principal point (0.01: 6.4 px on a 640-wide image).

    Args:
        depth_info: the depth image's camera_info.
        rgb_info: the colour image's camera_info.
        tolerance: see above.

    Returns:
        A one-line reason with the numbers (for a throttled warning), or ``None``.
    """
    try:
        k_d, k_r = _pinhole(depth_info, "depth"), _pinhole(rgb_info, "rgb")
    except DataError as err:
        return f"cannot check that depth is registered to the RGB camera: {err}"
    n_d = _normalized(k_d, depth_info)
    n_r = _normalized(k_r, rgb_info)
    details = []
    if abs(n_d[0] / n_r[0] - 1) > tolerance or abs(n_d[1] / n_r[1] - 1) > tolerance:
        details.append(
            f"field of view {_fov(k_d, depth_info)} (depth, fx {k_d[0, 0]:.1f} at "
            f"{depth_info.width}x{depth_info.height}) vs {_fov(k_r, rgb_info)} (rgb, fx "
            f"{k_r[0, 0]:.1f} at {rgb_info.width}x{rgb_info.height})"
        )
    if abs(n_d[2] - n_r[2]) > tolerance or abs(n_d[3] - n_r[3]) > tolerance:
        details.append(
            f"principal point at ({n_d[2]:.3f}, {n_d[3]:.3f}) of the depth image vs "
            f"({n_r[2]:.3f}, {n_r[3]:.3f}) of the rgb image"
        )
    if not details:
        return None
    return (
        f"depth and rgb camera_infos differ ({'; '.join(details)}): the depth is not registered "
        "to the RGB camera; use the driver's aligned depth or set register_depth: true with "
        "depth_to_rgb or depth_to_rgb_from_tf"
    )


def _normalized(k: np.ndarray, info: CameraIntrinsics) -> tuple[float, float, float, float]:
    """``fx / w, fy / h, (cx + 0.5) / w, (cy + 0.5) / h``: intrinsics independent of size."""
    w, h = info.width, info.height
    return k[0, 0] / w, k[1, 1] / h, (k[0, 2] + 0.5) / w, (k[1, 2] + 0.5) / h


def _fov(k: np.ndarray, info: CameraIntrinsics) -> str:
    """Horizontal x vertical field of view in degrees, e.g. ``'87.0x58.0 deg'``."""
    fov_x = 2 * math.degrees(math.atan(info.width / (2 * k[0, 0])))
    fov_y = 2 * math.degrees(math.atan(info.height / (2 * k[1, 1])))
    return f"{fov_x:.1f}x{fov_y:.1f} deg"


def distortion_warning(
    distortion_model: str, coefficients: Sequence[float], which: str
) -> str | None:
    """A warning when a camera_info has lens distortion, which registration does not model.

    Args:
        distortion_model: ``CameraInfo.distortion_model`` (``plumb_bob``, ...).
        coefficients: ``CameraInfo.d``.
        which: ``depth`` or ``rgb``, for the message.

    Returns:
        ``None`` when every coefficient is 0 (rectified or distortion-free images), else a
        one-line warning.
    """
    d = np.asarray(list(coefficients), dtype=np.float64)
    if d.size == 0 or (np.isfinite(d).all() and np.abs(d).max() < 1e-9):
        return None
    return (
        f"{which} camera_info has {distortion_model or 'unnamed'} distortion {d.tolist()}: "
        "registration assumes rectified images (zero distortion); subscribe to the rectified "
        "stream (image_rect) or expect misregistration towards the image borders"
    )


# ------------------------------------------------------------------------------ registration


def _to_colour(
    depth: np.ndarray, k_d: np.ndarray, k_r: np.ndarray, ext: Extrinsic, hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Valid depth pixels that may land in ``hw``, in homogeneous colour pixel coordinates.

    A depth pixel ``(u, v)`` at depth ``z`` lands at ``hom = M @ (u, v, 1) * z + K_rgb @ t``
    with ``M = K_rgb @ R @ inv(K_d)``; ``hom[2]`` is the colour-frame z (``K_rgb``'s last row
    is ``(0, 0, 1)``) and ``hom[:2] / hom[2]`` the pixel. Moving to the pixel's corner
    ``(u + 0.5, v + 0.5)`` adds ``step = 0.5 * (M[:, 0] + M[:, 1]) * z``.

    Returns:
        ``(hom (3, N), step (3, N), z_rgb (N,), centre (2, N))`` float32 for the depth pixels in
        front of the colour camera whose centre lands within ``FOOTPRINT_MAX_PX`` of ``hw``.
    """
    rows, cols = np.nonzero(valid_mask(depth))
    z = depth[rows, cols].astype(np.float32)
    u, v = cols.astype(np.float32), rows.astype(np.float32)
    m = (k_r @ ext.rotation @ np.linalg.inv(k_d)).astype(np.float32)
    c = (k_r @ ext.translation).astype(np.float32)
    hom = np.stack([(m[i, 0] * u + m[i, 1] * v + m[i, 2]) * z + c[i] for i in range(3)])
    z_rgb = hom[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = hom[:2] / np.where(z_rgb > MIN_Z_M, z_rgb, np.float32(np.nan))
    margin = float(FOOTPRINT_MAX_PX)
    keep = (
        (z_rgb > MIN_Z_M)
        & (centre[0] > -margin)
        & (centre[0] < hw[1] - 1 + margin)
        & (centre[1] > -margin)
        & (centre[1] < hw[0] - 1 + margin)
    )
    step = (np.float32(0.5) * (m[:, 0] + m[:, 1]))[:, None] * z[keep]
    return hom[:, keep], step, z_rgb[keep], centre[:, keep]


def _footprints(
    depth: np.ndarray, k_d: np.ndarray, k_r: np.ndarray, ext: Extrinsic, hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Target pixel rectangle and colour-frame z of every valid depth pixel that lands in ``hw``.

    Returns:
        ``(u0, v0, span_u, span_v, z)``: first column/row (int64), extents in pixels (int64,
        ``1..FOOTPRINT_MAX_PX``) and depth (float32 metres), one entry per kept depth pixel.
    """
    hom, step, z_c, centre = _to_colour(depth, k_d, k_r, ext, hw)
    z_a, z_b = hom[2] - step[2], hom[2] + step[2]
    ok = (z_a > MIN_Z_M) & (z_b > MIN_Z_M)
    hom, step, z_c, centre, z_a, z_b = (
        hom[:, ok],
        step[:, ok],
        z_c[ok],
        centre[:, ok],
        z_a[ok],
        z_b[ok],
    )
    h, w = hw
    lo_hi = []
    for axis, size in ((0, w), (1, h)):
        a = (hom[axis] - step[axis]) / z_a  # corner (u - 0.5, v - 0.5)
        b = (hom[axis] + step[axis]) / z_b  # corner (u + 0.5, v + 0.5)
        # pixels whose centres lie in the footprint, at least the one nearest to its centre
        nearest = np.rint(centre[axis])
        lo = np.maximum(np.minimum(np.ceil(np.minimum(a, b)), nearest), 0.0)
        hi = np.minimum(np.maximum(np.floor(np.maximum(a, b)), nearest), size - 1.0)
        lo_hi.append((lo, hi))
    (lo_u, hi_u), (lo_v, hi_v) = lo_hi
    inside = (lo_u <= hi_u) & (lo_v <= hi_v)
    span_u = np.minimum(hi_u - lo_u + 1, FOOTPRINT_MAX_PX)[inside].astype(np.int64)
    span_v = np.minimum(hi_v - lo_v + 1, FOOTPRINT_MAX_PX)[inside].astype(np.int64)
    return (
        lo_u[inside].astype(np.int64),
        lo_v[inside].astype(np.int64),
        span_u,
        span_v,
        z_c[inside],
    )


def _zbuffer(
    u0: np.ndarray,
    v0: np.ndarray,
    span_u: np.ndarray,
    span_v: np.ndarray,
    z: np.ndarray,
    hw: tuple[int, int],
) -> np.ndarray:
    """Splat the footprints into an ``hw`` float32 image; the smallest ``z`` per pixel wins."""
    h, w = hw
    index_parts, z_parts = [], []
    for dy in range(int(span_v.max(initial=0))):
        for dx in range(int(span_u.max(initial=0))):
            sel = (dy < span_v) & (dx < span_u)
            index_parts.append((v0[sel] + dy) * w + (u0[sel] + dx))
            z_parts.append(z[sel])
    out = np.full(h * w, np.nan, dtype=np.float32)
    if not index_parts:
        return out.reshape(h, w)
    index = np.concatenate(index_parts)
    depth = np.concatenate(z_parts)
    order = np.lexsort((depth, index))  # by pixel, then nearest first
    index, depth = index[order], depth[order]
    first = np.ones(index.size, dtype=bool)
    first[1:] = index[1:] != index[:-1]
    out[index[first]] = depth[first]
    return out.reshape(h, w)


def register_depth(
    depth: np.ndarray,
    depth_info: CameraIntrinsics,
    rgb_info: CameraIntrinsics,
    extrinsic: Extrinsic,
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Reproject a depth image into the colour camera on a low-resolution grid (z-buffered).

    Args:
        depth: ``(h, w)`` float depth in metres of the depth camera; 0, NaN and inf invalid.
        depth_info: the depth camera; rescaled (pixel centres aligned) when it describes the
            same view at another size than ``depth``.
        rgb_info: the colour camera at its full resolution.
        extrinsic: depth optical frame -> colour optical frame.
        out_hw: output ``(height, width)``; the colour camera is scaled to it with
            :func:`scale_intrinsics_centered` (use :func:`registration_grid`).

    Returns:
        ``out_hw`` float32: colour-frame z in metres of the nearest surface, NaN where no
        depth pixel lands.

    Raises:
        ShapeError: ``depth`` is not a 2-D float array, ``out_hw`` is not positive, or
            ``depth_info`` has another aspect ratio than ``depth``.
        DataError: a camera without a usable focal length.
    """
    if not isinstance(depth, np.ndarray) or depth.ndim != 2:
        raise ShapeError(f"depth must be an (h, w) array, got {getattr(depth, 'shape', depth)}")
    if not np.issubdtype(depth.dtype, np.floating):
        raise ShapeError(f"depth must be float metres, got dtype {depth.dtype}")
    out_h, out_w = int(out_hw[0]), int(out_hw[1])
    if out_h <= 0 or out_w <= 0:
        raise ShapeError(f"out_hw must be positive, got {out_hw}")
    k_d = _pinhole(_fit_to_image(depth_info, depth.shape, "depth"), "depth")
    k_r = _pinhole(scale_intrinsics_centered(rgb_info, out_w, out_h), "rgb")
    footprints = _footprints(depth, k_d, k_r, extrinsic, (out_h, out_w))
    return _zbuffer(*footprints, (out_h, out_w))


class DepthRegistrar:
    """The registration step of the stream: ``registrar(depth_lr, depth_info) -> registered``.

    Holds the colour camera, the extrinsic and the LR grid; ``FrameStream`` applies it to the
    decoded LR depth (metres) before the pipeline.

    Args:
        rgb_info: the colour camera at its full resolution (the RGB image's size).
        extrinsic: depth optical frame -> colour optical frame.
        out_hw: the LR grid; ``None`` (default) chooses :func:`registration_grid` from each
            frame's depth camera (the RGB's aspect at the depth's angular resolution).

    Raises:
        ShapeError: ``out_hw`` not positive or larger than the RGB image.
        DataError: ``rgb_info`` has no usable focal length.
    """

    def __init__(
        self,
        rgb_info: CameraIntrinsics,
        extrinsic: Extrinsic,
        out_hw: tuple[int, int] | None = None,
    ) -> None:
        _pinhole(rgb_info, "rgb")
        if out_hw is not None:
            h, w = int(out_hw[0]), int(out_hw[1])
            if not (0 < h <= rgb_info.height and 0 < w <= rgb_info.width):
                raise ShapeError(
                    f"registration grid {w}x{h} must be positive and at most the RGB size "
                    f"{rgb_info.width}x{rgb_info.height}"
                )
            out_hw = (h, w)
        self.rgb_info = rgb_info
        self.extrinsic = extrinsic
        self.out_hw = out_hw

    def grid(self, depth_info: CameraIntrinsics) -> tuple[int, int]:
        """The LR grid ``(h, w)`` for depth images described by ``depth_info``."""
        return self.out_hw or registration_grid(self.rgb_info, depth_info)

    def lr_info(self, depth_info: CameraIntrinsics) -> CameraIntrinsics:
        """The colour camera on the LR grid: the intrinsics of the registered depth."""
        h, w = self.grid(depth_info)
        return scale_intrinsics_centered(self.rgb_info, w, h)

    def __call__(self, depth_lr: np.ndarray, depth_info: CameraIntrinsics | None) -> np.ndarray:
        """Register one decoded LR depth image (metres) into the colour camera.

        Raises:
            DataError: no depth camera_info yet (count and skip the frame) or an unusable one.
            ShapeError: bad depth array or a camera_info of another aspect ratio.
        """
        if depth_info is None:
            raise DataError(
                "register_depth is on but no depth/camera_info has been received: remap "
                "depth/camera_info to the depth camera's camera_info topic"
            )
        if not isinstance(depth_lr, np.ndarray) or depth_lr.ndim != 2:
            raise ShapeError(f"depth must be (h, w), got {getattr(depth_lr, 'shape', depth_lr)}")
        fitted = _fit_to_image(depth_info, depth_lr.shape, "depth")
        return register_depth(depth_lr, fitted, self.rgb_info, self.extrinsic, self.grid(fitted))
