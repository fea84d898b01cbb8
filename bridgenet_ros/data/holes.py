# SPDX-License-Identifier: Apache-2.0
"""Spatially coherent holes of real depth sensors, for the ToF / structured-light sensor model.

The ToF model's other hole causes (:func:`bridgenet_ros.data.degradation.apply_sensor_model`:
random, dark, grazing, far) drop pixels one by one: down-sampled RGB-D-D crops degraded by it
have ~430 hole components of 1.2 LR pixels on average at x4. Real sensor depth has few, large
ones (``../shared/data/raw_sensor``, self-down-sampled x4: TUM 31 components of 118 LR pixels,
Redwood one of 2,500), of three kinds, each optional here (probability 0 = off, and then no
random number is drawn, so seeded samples of existing configs do not change):

* **border bands**: a depth map registered to the colour camera has an unseen margin (Redwood
  7-31 px, TUM 8-25 px of 640): with probability ``border_band_prob`` per side, a band of width
  uniform in ``(0, border_band_max_rgb_px]`` at that side of the map is invalid (the map's edges
  stand for the frame's: a training crop is seen by the network as a frame);
* **blobs** (absorbing, specular or out-of-range surfaces): with probability ``blob_prob``,
  the pixels where a Gaussian-smoothed white noise (sigma ``blob_size_rgb_px``) exceeds its
  ``1 - f`` quantile are invalid, ``f`` uniform in ``(0, blob_fraction_max]``;
* **edge rims** (the projector's shadow and the ToF's mixed returns beside depth edges): with
  probability ``rim_prob``, a valid pixel with a nearer one (by more than the model's
  ``edge_threshold_m``) within ``r`` pixels is invalid, ``r`` uniform in ``(0, rim_max_rgb_px]``.

Widths are in RGB pixels (the sensor's geometry is the image's), converted to LR pixels by the
map's size over the RGB's when an image is given, else taken as LR pixels. scipy is imported
only when blobs or rims are drawn (the robot-side runtime imports this package without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # degradation imports this module
    from bridgenet_ros.data.degradation import SensorModelConfig

__all__ = ["blob_holes", "border_band_holes", "coherent_holes", "edge_rim_holes"]


def border_band_holes(
    shape: tuple[int, int], rng: np.random.Generator, prob: float, max_px: float
) -> np.ndarray:
    """``(h, w)`` bool: invalid bands at the map's sides (each side with probability ``prob``).

    Draws 8 uniforms (a coin and a width per side) when ``prob > 0``.
    """
    h, w = shape
    drop = np.zeros(shape, dtype=bool)
    if prob <= 0.0 or max_px <= 0.0:
        return drop
    coins = rng.random(4) < prob
    widths = np.where(coins, np.rint(rng.uniform(0.0, max_px, 4)), 0).astype(int)
    top, bottom = min(int(widths[0]), h), min(int(widths[1]), h)
    left, right = min(int(widths[2]), w), min(int(widths[3]), w)
    drop[:top] = True
    drop[h - bottom :] = True
    drop[:, :left] = True
    drop[:, w - right :] = True
    return drop


def blob_holes(
    shape: tuple[int, int], rng: np.random.Generator, fraction_max: float, sigma_px: float
) -> np.ndarray:
    """``(h, w)`` bool: blob-shaped holes covering a random fraction ``(0, fraction_max]``.

    The blobs are the top quantile of white noise smoothed by a Gaussian of ``sigma_px`` pixels
    (``< 0.3``: unsmoothed, single pixels).
    """
    from scipy import ndimage

    fraction = rng.uniform(0.0, fraction_max)
    noise = rng.standard_normal(shape).astype(np.float32)
    if sigma_px >= 0.3:
        noise = ndimage.gaussian_filter(noise, sigma_px, mode="reflect")
    if fraction <= 0.0:
        return np.zeros(shape, dtype=bool)
    return noise > np.quantile(noise, 1.0 - fraction)


def edge_rim_holes(
    z: np.ndarray, valid: np.ndarray, radius_px: int, threshold_m: float
) -> np.ndarray:
    """``(h, w)`` bool: the far side of every depth edge, ``radius_px`` wide.

    A valid pixel is dropped when a valid pixel nearer by more than ``threshold_m`` lies within
    ``radius_px`` (a square window).
    """
    from scipy import ndimage

    if radius_px < 1:
        return np.zeros(z.shape, dtype=bool)
    far = np.where(valid, z, np.inf).astype(np.float32)
    nearest = ndimage.minimum_filter(far, size=2 * radius_px + 1, mode="nearest")
    return valid & (z - nearest > threshold_m)


def coherent_holes(
    z: np.ndarray,
    valid: np.ndarray,
    rng: np.random.Generator,
    cfg: SensorModelConfig,
    lr_per_rgb: float,
) -> np.ndarray:
    """``(h, w)`` bool: the coherent holes a :class:`SensorModelConfig` asks for (module doc).

    Args:
        z: ``(h, w)`` float32 depth in metres, 0 where invalid.
        valid: ``(h, w)`` bool.
        rng: random generator.
        cfg: the model (its ``border_band_*``, ``blob_*``, ``rim_*`` and ``edge_threshold_m``).
        lr_per_rgb: LR pixels per RGB pixel (``w / W_rgb``; 1 without an image).
    """
    drop = np.zeros(z.shape, dtype=bool)
    if cfg.border_band_prob > 0.0:
        drop |= border_band_holes(
            z.shape, rng, cfg.border_band_prob, cfg.border_band_max_rgb_px * lr_per_rgb
        )
    if cfg.blob_prob > 0.0 and rng.random() < cfg.blob_prob:
        drop |= blob_holes(z.shape, rng, cfg.blob_fraction_max, cfg.blob_size_rgb_px * lr_per_rgb)
    if cfg.rim_prob > 0.0 and rng.random() < cfg.rim_prob:
        radius = int(round(rng.uniform(0.0, cfg.rim_max_rgb_px) * lr_per_rgb))
        drop |= edge_rim_holes(z, valid, radius, cfg.edge_threshold_m)
    return drop
