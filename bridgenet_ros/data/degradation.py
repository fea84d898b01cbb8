# SPDX-License-Identifier: Apache-2.0
"""How low-resolution depth is made: the literature's bicubic protocol and a sensor model.

Bicubic protocol (:func:`bicubic_downsample`): the LR map is PIL ``Image.resize(..., BICUBIC)``
of the float32 HR map to ``lr_size_for_scale(H, W, scale)`` (floor division, any factor >= 1,
non-integer included), computed by :func:`bridgenet_ros.runtime.resize.resize`. On a map without
holes it equals PIL exactly (to float32 rounding).

Invalid pixels (0, NaN, inf) are defined as follows: before resizing, each invalid HR pixel takes
the value of its nearest valid pixel (so holes do not drag the bicubic kernel to 0); after
resizing, an LR pixel is invalid (0) when more than ``max_invalid_fraction`` (default 0.5) of the
HR area it covers (PIL box-filter footprint) was invalid. A map with no valid pixel raises
:class:`DataError`.

Sensor models (:func:`apply_sensor_model`), optional, for robustness training and the noisy-LR
evaluation protocol:

* ToF / structured light (:class:`SensorModelConfig`): depth-dependent Gaussian noise
  ``sigma = a + b * z^2``, dropped pixels (dark RGB, specular/grazing, far), flying pixels at depth
  edges, range limits, quantization to mm; optionally spatially coherent holes (border bands,
  blobs, edge rims: :mod:`bridgenet_ros.data.holes`);
* active stereo, RealSense D4xx / OAK-D-like (:class:`StereoSensorConfig`,
  :func:`apply_stereo_model`): disparity noise (so ``sigma_z = z^2 sigma_d / (f B)``), sub-pixel
  disparity quantization, edge fattening toward the second camera, the invalid band at the left
  image edge and occlusion shadows left of foreground objects;
* multi-beam LiDAR, Velodyne VLP-16 / Ouster OS1-like (:class:`LidarSensorConfig`,
  :func:`apply_lidar_model`): only the pixels on the projected beam rows are valid (random fan
  offset and roll per sample), with range noise, mixed pixels at depth edges, range limits and
  dropout.

Holes are written as 0 or NaN. :func:`sensor_model_from_mapping` builds any of the models from a
mapping with an optional ``kind: tof | stereo | lidar`` key (the ``--sensor-model`` YAML files).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Union

import numpy as np

from bridgenet_ros.data.holes import coherent_holes
from bridgenet_ros.data.lidar import LidarSensorConfig, apply_lidar_model
from bridgenet_ros.data.stereo import StereoSensorConfig, apply_stereo_model
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.runtime.normalize import valid_mask
from bridgenet_ros.runtime.resize import lr_size_for_scale, resize

__all__ = [
    "AnySensorModel",
    "LidarSensorConfig",
    "SensorModelConfig",
    "StereoSensorConfig",
    "apply_lidar_model",
    "apply_sensor_model",
    "apply_stereo_model",
    "bicubic_downsample",
    "fill_invalid_nearest",
    "load_sensor_model",
    "mix_edge_pixels",
    "sensor_model_from_mapping",
    "upsample_depth",
]


def fill_invalid_nearest(depth: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Replace invalid pixels by the value of the nearest valid pixel (Euclidean).

    Args:
        depth: ``(H, W)`` depth, invalid = 0/NaN/inf (or given by ``mask``).
        mask: ``(H, W)`` bool, valid pixels (default :func:`valid_mask`).

    Returns:
        ``(H, W)`` float32 copy without invalid pixels (unchanged copy if all are valid).

    Raises:
        DataError: if no pixel is valid.
    """
    depth = np.asarray(depth, dtype=np.float32)
    if mask is None:
        mask = valid_mask(depth)
    if mask.all():
        return depth.copy()
    if not mask.any():
        raise DataError("depth map has no valid pixel (all 0/NaN/inf): nothing to fill holes from")
    from scipy import ndimage

    _, (iy, ix) = ndimage.distance_transform_edt(~mask, return_indices=True)
    return depth[iy, ix].astype(np.float32)


def bicubic_downsample(
    depth_hr: np.ndarray, scale: float, *, max_invalid_fraction: float = 0.5
) -> np.ndarray:
    """Literature degradation: PIL-bicubic down-sampling of the HR map by ``scale``.

    Args:
        depth_hr: ``(H, W)`` depth (metres or unit-less), invalid = 0/NaN/inf.
        scale: factor >= 1, may be non-integer (e.g. 2.67 for 512x384 -> 192x144).
        max_invalid_fraction: an LR pixel whose HR footprint is more invalid than this becomes 0.

    Returns:
        ``(h, w)`` float32 LR depth with ``(h, w) = lr_size_for_scale(H, W, scale)``; invalid
        pixels are 0. Equal to PIL ``Image.fromarray(depth_hr, 'F').resize((w, h), BICUBIC)``
        when ``depth_hr`` has no invalid pixel.

    Raises:
        ShapeError: if ``depth_hr`` is not 2-D or ``scale < 1``.
        DataError: if no pixel is valid.
    """
    from bridgenet_ros.errors import ShapeError

    if depth_hr.ndim != 2:
        raise ShapeError(f"bicubic_downsample expects an (H, W) depth map, got {depth_hr.shape}")
    if not math.isfinite(scale):
        raise ShapeError(f"scale factor must be finite, got {scale}")
    height, width = depth_hr.shape
    size = lr_size_for_scale(height, width, scale)
    mask = valid_mask(depth_hr)
    filled = fill_invalid_nearest(depth_hr, mask)
    depth_lr = resize(filled, size, "bicubic")
    if not mask.all():
        invalid_fraction = resize((~mask).astype(np.float32), size, "box")
        depth_lr[invalid_fraction > max_invalid_fraction] = 0.0
    return depth_lr


def upsample_depth(depth_lr: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Bicubic up-sampling of LR depth to the RGB/model grid (the network input).

    Exactly the runtime pipeline's step
    (:func:`bridgenet_ros.runtime.pipeline.upsample_depth_lr`: holes filled by normalized
    convolution, then bicubic), so the network trains on what the robot feeds it.

    Args:
        depth_lr: ``(h, w)`` LR depth, invalid = 0/NaN/inf.
        size_hw: output ``(H, W)``.

    Returns:
        ``(H, W)`` float32, every pixel finite.

    Raises:
        DataError: if no LR pixel is valid.
    """
    from bridgenet_ros.runtime.pipeline import upsample_depth_lr

    depth_lr_up, _ = upsample_depth_lr(np.asarray(depth_lr, dtype=np.float32), size_hw)
    return depth_lr_up


@dataclass(frozen=True)
class SensorModelConfig:
    """Parameters of the optional ToF/structured-light sensor model (metres unless stated).

    Attributes:
        noise_a_m: constant part of the noise standard deviation.
        noise_b_per_m: quadratic part, ``sigma = noise_a_m + noise_b_per_m * z**2``.
        quantization_mm: output step in millimetres (0 disables).
        min_depth_m: nearer pixels become holes.
        max_depth_m: farther pixels become holes.
        far_dropout: probability of dropping a pixel at ``max_depth_m`` (linear ramp from 60 %
            of the range).
        dark_threshold: RGB luminance (0..1) below which pixels drop with ``dark_dropout``.
        dark_dropout: dropout probability of dark pixels.
        grazing_dropout: dropout probability at grazing angles / specular spots (from the depth
            gradient), scaled by how steep the surface is.
        random_dropout: uniform dropout probability.
        flying_pixel_prob: probability that a pixel at a depth edge takes a value between the
            two sides (mixed pixels).
        edge_threshold_m: depth jump that counts as an edge.
        shift_max_px: misregistration between the depth sensor and the RGB camera: the LR map
            is shifted by a random sub-pixel offset, uniform in ``[-shift_max_px, shift_max_px]``
            LR pixels per axis (bilinear, edges repeated, holes moved with the map); 0 disables.
        shift_max_rgb_px: cap of that offset in RGB pixels (0 = no cap). The parallax between
            two cameras is a fixed number of *image* pixels, so at a large scale factor a few LR
            pixels would be an unphysical shift: with an ``rgb`` image the per-axis limit is
            ``min(shift_max_px, shift_max_rgb_px * w / W_rgb)`` LR pixels. Without ``rgb`` the
            cap cannot be converted and is not applied.
        hole_value: ``zero`` (sensor PNG convention) or ``nan`` (REP 118).
        border_band_prob: probability per side of an invalid band at the map's edge (the unseen
            margin of registered depth); :mod:`bridgenet_ros.data.holes`. 0 disables.
        border_band_max_rgb_px: largest band width, RGB pixels.
        blob_prob: probability that a map gets blob-shaped holes. 0 disables.
        blob_fraction_max: largest fraction of the map's pixels in blobs.
        blob_size_rgb_px: blob correlation length (Gaussian sigma), RGB pixels.
        rim_prob: probability that the far side of every depth edge loses a rim. 0 disables.
        rim_max_rgb_px: largest rim width, RGB pixels.
    """

    noise_a_m: float = 0.001
    noise_b_per_m: float = 0.0019
    quantization_mm: float = 1.0
    min_depth_m: float = 0.2
    max_depth_m: float = 8.0
    far_dropout: float = 0.3
    dark_threshold: float = 0.06
    dark_dropout: float = 0.5
    grazing_dropout: float = 0.3
    random_dropout: float = 0.005
    flying_pixel_prob: float = 0.3
    edge_threshold_m: float = 0.1
    shift_max_px: float = 0.0
    shift_max_rgb_px: float = 0.0
    hole_value: Literal["zero", "nan"] = "zero"
    border_band_prob: float = 0.0
    border_band_max_rgb_px: float = 32.0
    blob_prob: float = 0.0
    blob_fraction_max: float = 0.15
    blob_size_rgb_px: float = 12.0
    rim_prob: float = 0.0
    rim_max_rgb_px: float = 8.0

    def __post_init__(self) -> None:
        probs = (
            "border_band_prob",
            "blob_prob",
            "blob_fraction_max",
            "rim_prob",
            "far_dropout",
            "dark_dropout",
            "grazing_dropout",
            "random_dropout",
            "flying_pixel_prob",
            "dark_threshold",
        )
        for name in probs:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"SensorModelConfig.{name} must be in [0, 1], got {value}")
        for name in (
            "noise_a_m",
            "noise_b_per_m",
            "quantization_mm",
            "min_depth_m",
            "shift_max_px",
            "shift_max_rgb_px",
            "border_band_max_rgb_px",
            "blob_size_rgb_px",
            "rim_max_rgb_px",
        ):
            if getattr(self, name) < 0.0:
                value = getattr(self, name)
                raise ConfigError(f"SensorModelConfig.{name} must be >= 0, got {value}")
        if self.edge_threshold_m <= 0.0:
            raise ConfigError(
                f"SensorModelConfig.edge_threshold_m must be > 0, got {self.edge_threshold_m}"
            )
        if self.max_depth_m <= self.min_depth_m:
            raise ConfigError(
                f"SensorModelConfig.max_depth_m ({self.max_depth_m}) must exceed min_depth_m "
                f"({self.min_depth_m})"
            )
        if self.hole_value not in ("zero", "nan"):
            raise ConfigError(
                f"SensorModelConfig.hole_value must be 'zero' or 'nan', got {self.hole_value!r}"
            )


def apply_sensor_model(
    depth: np.ndarray,
    rng: np.random.Generator,
    config: AnySensorModel | None = None,
    rgb: np.ndarray | None = None,
    *,
    frame_width_px: float | None = None,
    x_offset_px: float = 0.0,
    frame_height_px: float | None = None,
    y_offset_px: float = 0.0,
) -> np.ndarray:
    """Degrade a metric depth map like a real depth sensor (ToF, stereo or LiDAR: see below).

    ToF order: misregistration shift, flying pixels at edges, Gaussian noise ``sigma(z)``,
    quantization, then holes from the range limits and the dropout causes. Already-invalid pixels
    stay invalid (and move with the shift). A :class:`StereoSensorConfig` is handed to
    :func:`apply_stereo_model` (with ``frame_width_px`` and ``x_offset_px``), a
    :class:`LidarSensorConfig` to :func:`apply_lidar_model` (with the frame size and offsets).

    Args:
        depth: ``(h, w)`` depth in metres, invalid = 0/NaN.
        rng: random generator (the caller seeds it for determinism).
        config: model parameters (defaults of :class:`SensorModelConfig`).
        rgb: optional ``(H, W, 3)`` uint8 image for dark-pixel dropout and the RGB-pixel
            shift cap; resized with nearest sampling when its size differs from ``depth``.
        frame_width_px: stereo and LiDAR: width of the whole frame in pixels of ``depth``
            (default ``w``), see :func:`apply_stereo_model`.
        x_offset_px: stereo and LiDAR: column of ``depth``'s left edge within that frame.
        frame_height_px: LiDAR only: height of the whole frame in pixels of ``depth`` (default
            ``h``), see :func:`apply_lidar_model`.
        y_offset_px: LiDAR only: row of ``depth``'s top edge within that frame.

    Returns:
        ``(h, w)`` float32 depth in metres with holes as 0 or NaN (``config.hole_value``).

    Raises:
        ShapeError: if ``depth`` is not 2-D.
    """
    from bridgenet_ros.errors import ShapeError

    if isinstance(config, StereoSensorConfig):
        return apply_stereo_model(
            depth, rng, config, frame_width_px=frame_width_px, x_offset_px=x_offset_px
        )
    if isinstance(config, LidarSensorConfig):
        return apply_lidar_model(
            depth,
            rng,
            config,
            frame_width_px=frame_width_px,
            x_offset_px=x_offset_px,
            frame_height_px=frame_height_px,
            y_offset_px=y_offset_px,
        )
    cfg = config or SensorModelConfig()
    if depth.ndim != 2:
        raise ShapeError(f"apply_sensor_model expects an (h, w) depth map, got {depth.shape}")
    valid = valid_mask(depth)
    z: np.ndarray = np.where(valid, depth, 0.0).astype(np.float32)
    h, w = z.shape

    shift_max = cfg.shift_max_px
    if cfg.shift_max_rgb_px > 0.0 and rgb is not None:
        shift_max = min(shift_max, cfg.shift_max_rgb_px * w / rgb.shape[1])
    if shift_max > 0.0:
        z, valid = _shift_subpixel(z, valid, rng.uniform(-shift_max, shift_max, 2))

    z = mix_edge_pixels(z, valid, rng, cfg.flying_pixel_prob, cfg.edge_threshold_m)
    sigma = cfg.noise_a_m + cfg.noise_b_per_m * z * z
    z = z + sigma * rng.standard_normal((h, w), dtype=np.float32)
    if cfg.quantization_mm > 0.0:
        step = cfg.quantization_mm * 1e-3
        z = (np.round(z / step) * step).astype(np.float32)

    drop = ~valid | (z < cfg.min_depth_m) | (z > cfg.max_depth_m)
    probability: np.ndarray = np.full((h, w), cfg.random_dropout, dtype=np.float32)
    if cfg.far_dropout > 0.0:
        start = 0.6 * cfg.max_depth_m
        ramp = np.clip((z - start) / max(cfg.max_depth_m - start, 1e-6), 0.0, 1.0)
        probability = np.maximum(probability, cfg.far_dropout * ramp)
    if cfg.grazing_dropout > 0.0 and h > 1 and w > 1:
        gy, gx = np.gradient(np.where(valid, z, 0.0))
        slope = np.hypot(gx, gy) / np.maximum(z, 1e-3)
        steep = np.clip(slope * 10.0, 0.0, 1.0)
        probability = np.maximum(probability, cfg.grazing_dropout * steep)
    if rgb is not None and cfg.dark_dropout > 0.0:
        luminance = (rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0
        if luminance.shape != (h, w):
            luminance = resize(luminance, (h, w), "nearest")
        probability = np.where(
            luminance < cfg.dark_threshold,
            np.maximum(probability, cfg.dark_dropout),
            probability,
        )
    drop |= rng.random((h, w)) < probability
    lr_per_rgb = w / rgb.shape[1] if rgb is not None else 1.0
    drop |= coherent_holes(z, valid, rng, cfg, lr_per_rgb)
    hole = np.float32(np.nan) if cfg.hole_value == "nan" else np.float32(0.0)
    return np.where(drop, hole, z).astype(np.float32)


def mix_edge_pixels(
    z: np.ndarray, valid: np.ndarray, rng: np.random.Generator, prob: float, threshold_m: float
) -> np.ndarray:
    """Flying / mixed pixels: at a depth jump, mix the two sides with a random weight.

    A valid pixel whose right (else lower) neighbour differs by more than ``threshold_m`` takes,
    with probability ``prob``, the value ``z + t (other - z)`` with ``t`` uniform in ``[0, 1)``
    (ToF flying pixels; a LiDAR beam footprint on two surfaces). Draws two ``(h, w)`` uniform
    arrays when ``prob > 0`` and the map is at least 2x2, none otherwise.

    Args:
        z: ``(h, w)`` float32 depth, 0 where invalid.
        valid: ``(h, w)`` bool.
        rng: random generator.
        prob: mixing probability at an edge.
        threshold_m: depth jump that counts as an edge.

    Returns:
        ``(h, w)`` float32 depth (``z`` itself when nothing is drawn).
    """
    h, w = z.shape
    if prob <= 0.0 or h < 2 or w < 2:
        return z
    right = np.zeros_like(z)
    right[:, :-1] = z[:, 1:]
    down = np.zeros_like(z)
    down[:-1, :] = z[1:, :]
    jump_x = np.abs(right - z) > threshold_m
    jump_y = np.abs(down - z) > threshold_m
    other = np.where(jump_x, right, down)
    edge = (jump_x | jump_y) & valid & (other > 0)
    fly = edge & (rng.random((h, w)) < prob)
    t = rng.random((h, w)).astype(np.float32)
    return np.where(fly, z + t * (other - z), z)


def _shift_subpixel(
    depth: np.ndarray, valid: np.ndarray, offset_yx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shift ``depth`` by ``offset_yx`` pixels with the runtime's alignment shift.

    :func:`bridgenet_ros.runtime.align.shift_depth`: bilinear, edges repeated, valid only where
    every bilinear neighbour was valid.

    Returns:
        ``(depth, valid)``: float32 ``(h, w)`` depth with 0 at invalid pixels, and the bool mask.
    """
    from bridgenet_ros.runtime.align import shift_depth

    dy, dx = (float(v) for v in offset_yx)
    shifted = shift_depth(np.where(valid, depth, 0.0).astype(np.float32), dy, dx)
    return shifted, shifted > 0.0


#: any sensor model
AnySensorModel = Union[SensorModelConfig, StereoSensorConfig, LidarSensorConfig]

#: ``kind`` key of a sensor-model mapping -> its config class
SENSOR_MODEL_KINDS: dict[
    str, type[SensorModelConfig] | type[StereoSensorConfig] | type[LidarSensorConfig]
] = {
    "tof": SensorModelConfig,
    "stereo": StereoSensorConfig,
    "lidar": LidarSensorConfig,
}


def sensor_model_from_mapping(mapping: Mapping[str, Any], *, where: str = "") -> AnySensorModel:
    """Build a sensor model from a mapping with an optional ``kind`` key (default ``tof``).

    Args:
        mapping: ``{kind: tof | stereo | lidar, <fields of that model>}``.
        where: label for error messages (the YAML file).

    Raises:
        ConfigError: unknown kind or key, or an invalid value.
    """
    from bridgenet_ros.config_io import from_mapping

    label = where or "sensor model"
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{label}: expected a mapping, got {type(mapping).__name__}")
    fields = dict(mapping)
    kind = fields.pop("kind", "tof")
    if kind not in SENSOR_MODEL_KINDS:
        raise ConfigError(
            f"{label}: kind must be one of {sorted(SENSOR_MODEL_KINDS)}, got {kind!r}"
        )
    return from_mapping(SENSOR_MODEL_KINDS[kind], fields, where=label)


def load_sensor_model(path: str | Path) -> AnySensorModel:
    """Read a sensor-model YAML (``config/sensor_model_{tof,stereo,lidar}.yaml``).

    Raises:
        ConfigError: unreadable file, unknown kind or key, invalid value.
    """
    from bridgenet_ros.config_io import load_yaml

    return sensor_model_from_mapping(load_yaml(path), where=str(path))
