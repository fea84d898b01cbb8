# SPDX-License-Identifier: Apache-2.0
"""Active-stereo sensor model (RealSense D4xx / OAK-D-like): depth errors that live in disparity.

:class:`StereoSensorConfig` and :func:`apply_stereo_model`: disparity noise (so
``sigma_z = z^2 sigma_d / (f B)``), sub-pixel disparity quantization, edge fattening toward the
second camera, the invalid band at the left image edge and occlusion shadows left of foreground
objects. Re-exported by :mod:`.degradation`, whose :func:`~.degradation.apply_sensor_model`
dispatches here for a stereo config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.normalize import valid_mask

__all__ = ["StereoSensorConfig", "apply_stereo_model"]


@dataclass(frozen=True)
class StereoSensorConfig:
    """Active-stereo depth camera (RealSense D4xx / OAK-D-like), metres unless stated.

    Depth comes from the disparity ``d = f B / z`` between a reference camera and a second camera
    ``baseline_m`` to its right (+x), so errors live in disparity: an RMS disparity error
    ``sigma_d`` gives ``sigma_z = z^2 sigma_d / (f B)``, and sub-pixel steps of the disparity are
    depth steps that grow with ``z^2``. Noise and quantization use the camera's *native* focal
    length ``focal_px``; the geometric effects (left band, shadows, fattening) are drawn on the
    depth map's own pixel grid, whose focal length follows from ``hfov_deg`` and the width of the
    whole frame in depth-map pixels (see :func:`apply_stereo_model`).

    Attributes:
        baseline_m: stereo baseline (D435 0.050, OAK-D 0.075).
        focal_px: focal length at the native resolution (D435 at 640x480: about 380 px).
        disparity_noise_px: RMS disparity error in native pixels (sub-pixel matching: ~0.05-0.1).
        disparity_step_px: disparity quantization step in native pixels (1/8: 3 sub-pixel bits;
            0 disables).
        hfov_deg: horizontal field of view of the image the depth is registered to (its focal
            length in depth-map pixels is ``frame_width / (2 tan(hfov / 2))``).
        edge_fattening_px: block matching lets the foreground bleed over the background next to
            a depth edge, toward the second camera (+x): up to this many native pixels (about
            half the matching window; random per row in [0.5, 1.5] x this); 0 disables.
        edge_threshold_m: depth jump that counts as an edge for fattening.
        left_band: pixels the second camera cannot see at the left image edge are invalid: a
            band of width ``f B / z`` (at most ``f B / min_depth_m``).
        occlusion_shadows: background pixels hidden from the second camera by a foreground
            object (left of the object, width ``f B (1/z_fg - 1/z_bg)``) are invalid.
        min_depth_m: nearer pixels become holes (the disparity search range).
        max_depth_m: farther pixels become holes.
        random_dropout: uniform dropout probability (matching failures).
        hole_value: ``zero`` (sensor PNG convention) or ``nan`` (REP 118).
    """

    baseline_m: float = 0.05
    focal_px: float = 380.0
    disparity_noise_px: float = 0.08
    disparity_step_px: float = 0.125
    hfov_deg: float = 69.0
    edge_fattening_px: float = 4.0
    edge_threshold_m: float = 0.1
    left_band: bool = True
    occlusion_shadows: bool = True
    min_depth_m: float = 0.3
    max_depth_m: float = 10.0
    random_dropout: float = 0.002
    hole_value: Literal["zero", "nan"] = "zero"

    def __post_init__(self) -> None:
        for name in ("baseline_m", "focal_px", "edge_threshold_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(f"StereoSensorConfig.{name} must be > 0, got {value}")
        for name in ("disparity_noise_px", "disparity_step_px", "edge_fattening_px"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(f"StereoSensorConfig.{name} must be >= 0, got {value}")
        if not 1.0 <= self.hfov_deg < 179.0:
            raise ConfigError(
                f"StereoSensorConfig.hfov_deg must be in [1, 179) degrees, got {self.hfov_deg}"
            )
        if not 0.0 < self.min_depth_m < self.max_depth_m:
            raise ConfigError(
                "StereoSensorConfig needs 0 < min_depth_m < max_depth_m, got "
                f"{self.min_depth_m}, {self.max_depth_m}"
            )
        if not 0.0 <= self.random_dropout <= 1.0:
            raise ConfigError(
                f"StereoSensorConfig.random_dropout must be in [0, 1], got {self.random_dropout}"
            )
        if self.hole_value not in ("zero", "nan"):
            raise ConfigError(
                f"StereoSensorConfig.hole_value must be 'zero' or 'nan', got {self.hole_value!r}"
            )


def apply_stereo_model(
    depth: np.ndarray,
    rng: np.random.Generator,
    config: StereoSensorConfig | None = None,
    *,
    frame_width_px: float | None = None,
    x_offset_px: float = 0.0,
) -> np.ndarray:
    """Degrade a metric depth map like an active-stereo camera (see :class:`StereoSensorConfig`).

    Order: occlusion shadows and the left band from the true geometry, edge fattening, disparity
    noise and quantization, then range limits and random dropout. Already-invalid pixels stay
    invalid.

    Args:
        depth: ``(h, w)`` depth in metres, invalid = 0/NaN.
        rng: random generator (the caller seeds it for determinism).
        config: model parameters (defaults of :class:`StereoSensorConfig`).
        frame_width_px: width of the whole camera frame in pixels of ``depth`` (a training crop
            is part of a frame: ``frame width / scale``); default ``w`` (``depth`` is a whole
            frame). Sets the focal length of the depth grid ``frame_width / (2 tan(hfov/2))``.
        x_offset_px: column of ``depth``'s left edge within that frame (crop origin / scale);
            the left band exists only near the frame's left edge.

    Returns:
        ``(h, w)`` float32 depth in metres, holes as 0 or NaN (``config.hole_value``).

    Raises:
        ShapeError: if ``depth`` is not 2-D.
    """
    from bridgenet_ros.errors import ShapeError

    cfg = config or StereoSensorConfig()
    if depth.ndim != 2:
        raise ShapeError(f"apply_stereo_model expects an (h, w) depth map, got {depth.shape}")
    valid = valid_mask(depth)
    z: np.ndarray = np.where(valid, depth, 0.0).astype(np.float32)
    h, w = z.shape
    width = float(frame_width_px) if frame_width_px else float(w)
    focal_map = width / (2.0 * math.tan(math.radians(cfg.hfov_deg) / 2.0))
    with np.errstate(divide="ignore"):
        disparity = np.where(valid, focal_map * cfg.baseline_m / np.maximum(z, 1e-6), 0.0)
    drop = ~valid
    if cfg.occlusion_shadows:
        drop |= _occluded_from_right(disparity, valid)
    if cfg.left_band:
        columns = np.arange(w, dtype=np.float32)[None, :] + np.float32(x_offset_px)
        band = np.minimum(disparity, focal_map * cfg.baseline_m / cfg.min_depth_m)
        drop |= valid & (columns < band)
    fatten = cfg.edge_fattening_px * focal_map / cfg.focal_px
    if fatten > 0.0:
        z = _fatten_edges(z, valid, rng.uniform(0.5, 1.5, h) * fatten, cfg.edge_threshold_m)

    d_native = cfg.focal_px * cfg.baseline_m / np.maximum(z, 1e-6)
    if cfg.disparity_noise_px > 0.0:
        d_native = d_native + cfg.disparity_noise_px * rng.standard_normal((h, w))
    if cfg.disparity_step_px > 0.0:
        d_native = np.round(d_native / cfg.disparity_step_px) * cfg.disparity_step_px
    drop |= d_native <= 0.0
    z = (cfg.focal_px * cfg.baseline_m / np.where(d_native > 0.0, d_native, 1.0)).astype(
        np.float32
    )
    drop |= (z < cfg.min_depth_m) | (z > cfg.max_depth_m)
    if cfg.random_dropout > 0.0:
        drop |= rng.random((h, w)) < cfg.random_dropout
    hole = np.float32(np.nan) if cfg.hole_value == "nan" else np.float32(0.0)
    return np.where(drop, hole, z).astype(np.float32)


def _occluded_from_right(disparity: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Pixels the second camera (at +x) cannot see: hidden behind a nearer pixel to their right.

    Pixel ``x`` lands at ``u = x - d(x)`` in the second image; it is occluded when a pixel to its
    right lands further left (``min over x' > x of u(x') < u(x)``), i.e. is nearer and covers it.

    Returns:
        ``(h, w)`` bool, ``True`` where occluded (invalid pixels never occlude).
    """
    h, w = disparity.shape
    u = np.where(valid, np.arange(w, dtype=np.float64)[None, :] - disparity, np.inf)
    right_min = np.minimum.accumulate(u[:, ::-1], axis=1)[:, ::-1]
    shifted = np.full((h, w), np.inf)
    shifted[:, :-1] = right_min[:, 1:]  # min over x' > x
    return valid & (shifted < u - 1e-3)


def _fatten_edges(
    z: np.ndarray, valid: np.ndarray, width_px: np.ndarray, threshold_m: float
) -> np.ndarray:
    """Foreground bleeding toward +x (the second camera's side).

    A background pixel within ``width_px[row]`` pixels right of a nearer pixel (a jump of more
    than ``threshold_m``) takes the nearer depth.

    Args:
        z: ``(h, w)`` float32 depth, 0 where invalid.
        valid: ``(h, w)`` bool.
        width_px: ``(h,)`` fattening width per row in pixels of ``z``.
        threshold_m: minimum depth jump.

    Returns:
        ``(h, w)`` float32 depth.
    """
    h, w = z.shape
    near = np.where(valid, z, np.inf).astype(np.float32)
    best = np.full((h, w), np.inf, dtype=np.float32)
    for k in range(1, min(int(np.floor(width_px.max())), w - 1) + 1):
        reach = (width_px >= k)[:, None]
        candidate = np.full((h, w), np.inf, dtype=np.float32)
        candidate[:, k:] = near[:, :-k]
        best = np.where(reach, np.minimum(best, candidate), best)
    bleed = valid & np.isfinite(best) & (z - best > threshold_m)
    return np.where(bleed, best, z).astype(np.float32)
