# SPDX-License-Identifier: Apache-2.0
"""LiDAR sensor model (Velodyne VLP-16 / Ouster OS1-like): sparse beam rows in the LR grid.

:class:`LidarSensorConfig` and :func:`apply_lidar_model`: a multi-beam LiDAR whose returns are
projected into the depth camera's LR grid. Only the pixels a beam crosses are valid (a few rows,
bent like the cones a spinning sensor sweeps); on them the depth gets range noise, mixed pixels
at depth edges, range limits and dropout. Everything else is a hole. Re-exported by
:mod:`.degradation`, whose :func:`~.degradation.apply_sensor_model` dispatches here for a LiDAR
config.

Spec numbers the defaults and ``config/sensor_model_lidar.yaml`` use (public datasheets/manuals):

* Velodyne VLP-16 (User Manual 63-9243 Rev. D): 16 lasers at -15 deg ... +15 deg in 2 deg steps
  (30 deg vertical FOV), azimuth resolution 0.1-0.4 deg, range up to 100 m, range accuracy
  "up to +-3 cm (typical)".
* Ouster OS1 (datasheet, rev. 1): 16/64 beams over 33.2 deg (128 beams over 45 deg), 512/1024/
  2048 columns per turn, range 0.8-120 m, range repeatability 1.5 cm (1 sigma, high SNR) to
  3 cm (SNR 100) and 10 cm (SNR 12), beam divergence 0.13 deg.
* Livox HAP (user manual): blind zone 0.5 m, random range error < 2 cm (1 sigma) at 20 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.normalize import valid_mask

__all__ = ["LidarSensorConfig", "apply_lidar_model"]


@dataclass(frozen=True)
class LidarSensorConfig:
    """Multi-beam LiDAR registered to the depth camera (metres and degrees unless stated).

    Geometry: the LiDAR sits at the camera's optical centre (parallax and occlusions between the
    two viewpoints are not modelled). It has ``n_beams`` lasers at equally spaced elevations
    spanning ``beam_fov_deg``; the depth map covers ``vfov_deg`` vertically (square pixels, focal
    length ``frame_height / (2 tan(vfov / 2))`` in depth-map pixels). An LR pixel is a return when
    a beam's elevation lies within the pixel's vertical extent (at its column); per sample the
    whole fan is moved by a random elevation offset and rolled by a random angle. Each return
    takes the LR map's depth there (the bicubic LR pixel stands for the surface under the beam).

    Attributes:
        n_beams: number of lasers (VLP-16: 16; OS1: 16/64/128; 1 = a planar scanner).
        beam_fov_deg: elevation span from the lowest to the highest beam (VLP-16 30, OS1-16/64
            33.2, OS1-128 45); beams outside the map's vertical FOV leave no return.
        vfov_deg: vertical field of view of the whole camera frame the depth is registered to.
        vertical_offset_deg: the fan's centre lies at a random elevation, uniform in
            ``[-vertical_offset_deg, vertical_offset_deg]`` from the optical axis, per sample
            (half a beam spacing already puts the rows at every phase; more also moves the band
            the fan does not cover).
        roll_max_deg: per-sample roll of the fan about the optical axis, uniform in
            ``[-roll_max_deg, roll_max_deg]`` (mounting roll: slanted beam rows); 0 disables.
        spinning: ``True``: each beam keeps its elevation over azimuth (a spinning sensor sweeps
            a cone, its row bends away from the horizon toward the image sides);
            ``False``: straight rows (a solid-state line scanner).
        horizontal_step_px: returns along a beam every this many LR columns (random phase per
            beam); 1 = every column (the LiDAR's azimuth step, 0.1-0.4 deg, is finer than an LR
            pixel at most scales).
        noise_sigma_m: constant range noise standard deviation (along the ray).
        noise_rel: range noise proportional to the range, ``sigma = noise_sigma_m +
            noise_rel * r``; 0 disables.
        min_range_m: nearer returns (measured range) are holes (the blind zone).
        max_range_m: farther returns are holes.
        random_dropout: probability that a return is missing (absorbing/specular surfaces).
        mixed_pixel_prob: probability that a return at a depth edge (a jump of more than
            ``edge_threshold_m`` to its right or lower neighbour in the LR map) takes a value
            between the two sides (beam footprint on both surfaces); 0 disables.
        edge_threshold_m: depth jump that counts as an edge.
        hole_value: ``zero`` (sensor PNG convention) or ``nan`` (REP 118).
    """

    n_beams: int = 16
    beam_fov_deg: float = 30.0
    vfov_deg: float = 45.0
    vertical_offset_deg: float = 1.0
    roll_max_deg: float = 0.0
    spinning: bool = True
    horizontal_step_px: float = 1.0
    noise_sigma_m: float = 0.02
    noise_rel: float = 0.0
    min_range_m: float = 0.5
    max_range_m: float = 100.0
    random_dropout: float = 0.01
    mixed_pixel_prob: float = 0.2
    edge_threshold_m: float = 0.1
    hole_value: Literal["zero", "nan"] = "zero"

    def __post_init__(self) -> None:
        self._check_geometry()
        self._check_returns()

    def _check_geometry(self) -> None:
        """Validate the beams, the fields of view and the per-sample fan motion."""
        name = "LidarSensorConfig"
        if isinstance(self.n_beams, bool) or not isinstance(self.n_beams, int) or self.n_beams < 1:
            raise ConfigError(f"{name}.n_beams must be an integer >= 1, got {self.n_beams!r}")
        if not 0.0 <= self.beam_fov_deg < 180.0:
            raise ConfigError(
                f"{name}.beam_fov_deg must be in [0, 180) degrees, got {self.beam_fov_deg}"
            )
        if self.n_beams > 1 and self.beam_fov_deg <= 0.0:
            raise ConfigError(f"{name}.beam_fov_deg must be > 0 with n_beams > 1")
        if not 1.0 <= self.vfov_deg < 179.0:
            raise ConfigError(f"{name}.vfov_deg must be in [1, 179) degrees, got {self.vfov_deg}")
        for field in ("vertical_offset_deg", "roll_max_deg"):
            value = getattr(self, field)
            if not 0.0 <= value <= 45.0:
                raise ConfigError(f"{name}.{field} must be in [0, 45] degrees, got {value}")
        if not (math.isfinite(self.horizontal_step_px) and self.horizontal_step_px >= 1.0):
            raise ConfigError(
                f"{name}.horizontal_step_px must be >= 1 LR pixel, got {self.horizontal_step_px}"
            )

    def _check_returns(self) -> None:
        """Validate noise, range limits, dropout, mixed pixels and the hole value."""
        name = "LidarSensorConfig"
        for field in ("noise_sigma_m", "noise_rel"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(f"{name}.{field} must be >= 0, got {value}")
        if not 0.0 <= self.min_range_m < self.max_range_m:
            raise ConfigError(
                f"{name} needs 0 <= min_range_m < max_range_m, got "
                f"{self.min_range_m}, {self.max_range_m}"
            )
        for field in ("random_dropout", "mixed_pixel_prob"):
            value = getattr(self, field)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name}.{field} must be in [0, 1], got {value}")
        if not self.edge_threshold_m > 0.0:
            raise ConfigError(f"{name}.edge_threshold_m must be > 0, got {self.edge_threshold_m}")
        if self.hole_value not in ("zero", "nan"):
            raise ConfigError(
                f"{name}.hole_value must be 'zero' or 'nan', got {self.hole_value!r}"
            )

    @property
    def beam_elevations_deg(self) -> np.ndarray:
        """``(n_beams,)`` ascending beam elevations in degrees, centred on 0."""
        if self.n_beams == 1:
            return np.zeros(1)
        return np.linspace(-self.beam_fov_deg / 2.0, self.beam_fov_deg / 2.0, self.n_beams)


@dataclass(frozen=True)
class _Grid:
    """Where an ``(h, w)`` map lies in the camera frame (depth-map pixels).

    Attributes:
        focal: focal length in depth-map pixels.
        cx: principal point column in the map's own columns.
        cy: principal point row in the map's own rows.
    """

    focal: float
    cx: float
    cy: float

    def normalized(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalized image coordinates ``(x, y)`` (y down) of map coordinates (broadcast)."""
        return (cols - self.cx) / self.focal, (rows - self.cy) / self.focal


def _beam_pattern(
    shape: tuple[int, int],
    config: LidarSensorConfig,
    grid: _Grid,
    offset_deg: float,
    roll_deg: float,
    phases: np.ndarray,
) -> np.ndarray:
    """Which pixels of an ``(h, w)`` map a beam crosses (before noise, limits and dropout).

    Pixel ``(v, u)`` is a return when the elevation of some beam (in the LiDAR frame: fan offset
    by ``offset_deg``, rolled by ``roll_deg``) lies between the elevations of the pixel's upper
    and lower edges at the pixel's column, and the beam samples that column (every
    ``horizontal_step_px`` columns from the beam's ``phases`` entry).

    Args:
        shape: ``(h, w)``.
        config: the LiDAR.
        grid: focal length and principal point of the map.
        offset_deg: elevation of the fan's centre relative to the optical axis.
        roll_deg: roll of the fan about the optical axis.
        phases: ``(n_beams,)`` column phase of each beam in ``[0, horizontal_step_px)``.

    Returns:
        ``(h, w)`` bool.
    """
    h, w = shape
    x, y = grid.normalized(
        np.arange(h + 1, dtype=np.float64)[:, None], np.arange(w, dtype=np.float64)[None, :] + 0.5
    )
    roll, pitch = math.radians(roll_deg), math.radians(offset_deg)
    x_r = x * math.cos(roll) - y * math.sin(roll)
    y_r = x * math.sin(roll) + y * math.cos(roll)
    y_l = y_r * math.cos(pitch) + math.sin(pitch)  # the ray (x, y, 1) in the LiDAR frame
    z_l = -y_r * math.sin(pitch) + math.cos(pitch)
    horizontal = np.hypot(x_r, z_l) if config.spinning else z_l
    edge_elevation = np.degrees(np.arctan2(-y_l, horizontal))  # (h + 1, w), falls with the row
    beams = config.beam_elevations_deg
    below_or_at = np.searchsorted(beams, edge_elevation, side="right")  # beams <= each edge
    hit = below_or_at[:-1] > below_or_at[1:]
    if config.horizontal_step_px > 1.0:
        beam = np.clip(below_or_at[:-1] - 1, 0, len(beams) - 1)  # highest beam in the pixel
        step = config.horizontal_step_px
        cols = np.arange(w, dtype=np.float64)[None, :] - phases[beam]
        hit &= np.ceil((cols + 1.0) / step) > np.ceil(cols / step)  # a sample in [u, u + 1)
    return hit


def apply_lidar_model(
    depth: np.ndarray,
    rng: np.random.Generator,
    config: LidarSensorConfig | None = None,
    *,
    frame_width_px: float | None = None,
    x_offset_px: float = 0.0,
    frame_height_px: float | None = None,
    y_offset_px: float = 0.0,
) -> np.ndarray:
    """Degrade a metric depth map like a multi-beam LiDAR (see :class:`LidarSensorConfig`).

    Order: mixed pixels at depth edges (on the dense map), the beam pattern (random fan offset,
    roll and column phases), range noise along each ray, then range limits on the measured range
    and random dropout. Pixels off the beams and already-invalid pixels are holes.

    Args:
        depth: ``(h, w)`` depth in metres, invalid = 0/NaN.
        rng: random generator (the caller seeds it for determinism).
        config: model parameters (defaults of :class:`LidarSensorConfig`).
        frame_width_px: width of the whole camera frame in pixels of ``depth`` (a training
            crop is part of a frame: ``frame width / scale``); default ``w``.
        x_offset_px: column of ``depth``'s left edge within that frame (crop origin / scale).
        frame_height_px: height of that frame in pixels of ``depth``; default ``h``. It sets
            the focal length ``frame_height / (2 tan(vfov / 2))``; the principal point is the
            frame's centre.
        y_offset_px: row of ``depth``'s top edge within that frame.

    Returns:
        ``(h, w)`` float32 depth in metres, holes as 0 or NaN (``config.hole_value``).

    Raises:
        ShapeError: if ``depth`` is not 2-D.
    """
    from bridgenet_ros.data.degradation import mix_edge_pixels
    from bridgenet_ros.errors import ShapeError

    cfg = config or LidarSensorConfig()
    if depth.ndim != 2:
        raise ShapeError(f"apply_lidar_model expects an (h, w) depth map, got {depth.shape}")
    valid = valid_mask(depth)
    z: np.ndarray = np.where(valid, depth, 0.0).astype(np.float32)
    h, w = z.shape
    frame_h = float(frame_height_px) if frame_height_px else float(h)
    frame_w = float(frame_width_px) if frame_width_px else float(w)
    focal = frame_h / (2.0 * math.tan(math.radians(cfg.vfov_deg) / 2.0))
    grid = _Grid(focal, frame_w / 2.0 - x_offset_px, frame_h / 2.0 - y_offset_px)

    offset = rng.uniform(-cfg.vertical_offset_deg, cfg.vertical_offset_deg)
    roll = rng.uniform(-cfg.roll_max_deg, cfg.roll_max_deg)
    phases = rng.uniform(0.0, cfg.horizontal_step_px, cfg.n_beams)
    z = mix_edge_pixels(z, valid, rng, cfg.mixed_pixel_prob, cfg.edge_threshold_m)
    on_beam = _beam_pattern((h, w), cfg, grid, offset, roll, phases)

    x, y = grid.normalized(
        np.arange(h, dtype=np.float32)[:, None] + 0.5,
        np.arange(w, dtype=np.float32)[None, :] + 0.5,
    )
    ray = np.sqrt(1.0 + x * x + y * y).astype(np.float32)  # range / z along each pixel's ray
    r = z * ray
    sigma = cfg.noise_sigma_m + cfg.noise_rel * r
    r = r + sigma * rng.standard_normal((h, w), dtype=np.float32)
    drop = ~valid | ~on_beam | (r <= 0.0) | (r < cfg.min_range_m) | (r > cfg.max_range_m)
    if cfg.random_dropout > 0.0:
        drop |= rng.random((h, w)) < cfg.random_dropout
    hole = np.float32(np.nan) if cfg.hole_value == "nan" else np.float32(0.0)
    return np.where(drop, hole, r / ray).astype(np.float32)
