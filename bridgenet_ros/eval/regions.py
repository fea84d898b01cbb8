# SPDX-License-Identifier: Apache-2.0
"""Region masks of a reference depth map: an edge band, flat surfaces and the hole rim.

The real-sensor protocol (:mod:`bridgenet_ros.eval.real_sensor`) scores methods overall and on
two regions found from the REFERENCE depth alone (never from a prediction), so every method is
scored on the same pixels:

- ``edge``: valid pixels within ``band`` HR pixels of a depth discontinuity;
- ``flat``: valid pixels whose neighbourhood is well fitted by a plane and that lie further than
  ``margin`` HR pixels from any discontinuity (where bicubic up-sampling of the true surface is
  already accurate, so a method can only lose by adding error);
- ``rim``: valid pixels within ``rim_px`` of a hole (invalid reference pixel). Raw sensors put
  flying pixels and partial returns there; rim pixels count in the overall score only, never in
  ``edge`` or ``flat``, so noisy hole borders cannot dominate either region.

Definitions (``z`` = reference depth, any unit; all thresholds relative, so unit-free):

1. ``core`` = valid pixels that are not ``rim``. The image border is not a hole.
2. ``z_f`` = ``z`` with every non-core pixel replaced by its nearest core pixel (Euclidean).
3. A *discontinuity* is a pair of 4-neighbours of ``z_f`` with
   ``|z_a - z_b| / min(z_a, z_b) > rel_jump`` (default 0.05: a 5 % jump between adjacent
   pixels; a floor seen at grazing angle from 0.5 m height changes by ~1.5 %/px at 4 m, Kinect
   quantization by ~1 % at 4 m). Both pixels of the pair are marked. Filling from the core means
   a hole between two surfaces (a stereo/structured-light shadow) yields a discontinuity in the
   hole, where the two fills meet; the band around it reaches the valid pixels on both sides
   when the hole is narrower than twice the band.
4. ``edge`` = ``core`` pixels within ``band = max(min_band_px, ceil(band_lr_px * scale))`` HR
   pixels (Euclidean) of a discontinuity pixel. Default ``band_lr_px`` 1: one LR pixel, where
   the LR grid cannot tell on which side of the edge a pixel lies.
5. ``flat`` = ``core`` pixels further than ``margin = max(band + 1, ceil(margin_lr_px * scale))``
   HR pixels from any discontinuity (default ``margin_lr_px`` 2: the reach of the bicubic
   kernel, 2 LR pixels) whose ``(2r+1)²`` window (``r = plane_radius_px``, default 3; cut by
   the image border) is at least ``min_plane_support`` (default 0.6) core pixels and whose
   least-squares plane through those core pixels leaves an RMS residual below
   ``plane_rel_residual × z``. Default 0.5 %: above the raw Kinect/Redwood noise floor
   (~0.3 %, where the flat share of a frame collapses); a ridge whose slope changes by 3 % of
   ``z`` per pixel is at 0.8 % two pixels away, so not flat.

``edge`` and ``flat`` are disjoint (``margin > band``); ``rim``, ``edge`` and ``flat`` are subsets
of the valid pixels. Pixels in none of them (curved surfaces, the ring between band and margin)
count only in the overall score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from bridgenet_ros.errors import ConfigError, ShapeError

__all__ = ["REGION_NAMES", "RegionConfig", "RegionMasks", "compute_regions"]

#: region names in the order of tables and JSON files
REGION_NAMES: tuple[str, ...] = ("flat", "edge")


@dataclass(frozen=True)
class RegionConfig:
    """Thresholds of :func:`compute_regions` (see the module docstring for their meaning).

    Attributes:
        rel_jump: relative depth jump between 4-neighbours that marks a discontinuity.
        band_lr_px: edge-band half-width in LR pixels (× scale = HR pixels).
        min_band_px: smallest edge-band half-width in HR pixels.
        margin_lr_px: flat pixels lie further than this many LR pixels from a discontinuity.
        plane_radius_px: radius of the plane-fit window in HR pixels.
        plane_rel_residual: largest plane-fit RMS residual of a flat pixel, relative to depth.
        min_plane_support: smallest fraction of core pixels in the plane-fit window.
        rim_px: valid pixels within this many HR pixels of a hole form the rim.
    """

    rel_jump: float = 0.05
    band_lr_px: float = 1.0
    min_band_px: int = 2
    margin_lr_px: float = 2.0
    plane_radius_px: int = 3
    plane_rel_residual: float = 0.005
    min_plane_support: float = 0.6
    rim_px: int = 2

    def __post_init__(self) -> None:
        checks = {
            "rel_jump": self.rel_jump > 0,
            "band_lr_px": self.band_lr_px >= 0,
            "min_band_px": self.min_band_px >= 1,
            "margin_lr_px": self.margin_lr_px >= self.band_lr_px,
            "plane_radius_px": self.plane_radius_px >= 1,
            "plane_rel_residual": self.plane_rel_residual > 0,
            "min_plane_support": 0 < self.min_plane_support <= 1,
            "rim_px": self.rim_px >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(
                f"invalid region thresholds {bad} in {self}: need rel_jump > 0, band_lr_px >= 0,"
                " min_band_px >= 1, margin_lr_px >= band_lr_px, plane_radius_px >= 1,"
                " plane_rel_residual > 0, 0 < min_plane_support <= 1, rim_px >= 0"
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> RegionConfig:
        """Build from a mapping (e.g. YAML); unknown keys are a :class:`ConfigError`."""
        from bridgenet_ros.config_io import from_mapping

        return from_mapping(cls, dict(mapping or {}), where="region thresholds")

    def band_px(self, scale: float) -> int:
        """Edge-band half-width in HR pixels at ``scale``."""
        return max(self.min_band_px, math.ceil(self.band_lr_px * scale - 1e-9))

    def margin_px(self, scale: float) -> int:
        """Distance in HR pixels beyond which a pixel can be flat, at ``scale``."""
        return max(self.band_px(scale) + 1, math.ceil(self.margin_lr_px * scale - 1e-9))


@dataclass(frozen=True)
class RegionMasks:
    """Region masks of one reference map, all ``(H, W)`` bool.

    Attributes:
        valid: reference pixels that are finite and > 0.
        edge: the edge band (subset of ``valid``, disjoint from ``rim``).
        flat: flat pixels (subset of ``valid``, disjoint from ``edge`` and ``rim``).
        rim: valid pixels within ``rim_px`` of a hole.
        discontinuity: pixels on either side of a depth discontinuity (may lie in holes).
    """

    valid: np.ndarray
    edge: np.ndarray
    flat: np.ndarray
    rim: np.ndarray
    discontinuity: np.ndarray

    def region(self, name: str) -> np.ndarray:
        """The mask called ``name`` (``valid``/``overall``, ``edge``, ``flat`` or ``rim``)."""
        if name == "overall":
            return self.valid
        if name not in ("valid", "edge", "flat", "rim"):
            raise ConfigError(f"unknown region {name!r}; use overall, flat, edge or rim")
        mask: np.ndarray = getattr(self, name)
        return mask

    def fractions(self) -> dict[str, float]:
        """Fraction of the valid pixels in each region (``overall`` = 1, ``flat``, ``edge``...)."""
        n = max(int(self.valid.sum()), 1)
        return {k: float(self.region(k).sum()) / n for k in ("overall", "flat", "edge", "rim")}


def _discontinuities(filled: np.ndarray, rel_jump: float) -> np.ndarray:
    """Both pixels of every 4-neighbour pair whose relative jump exceeds ``rel_jump``."""
    out = np.zeros(filled.shape, dtype=bool)
    for axis in (0, 1):
        a = filled[:-1, :] if axis == 0 else filled[:, :-1]
        b = filled[1:, :] if axis == 0 else filled[:, 1:]
        jump = np.abs(a - b) > rel_jump * np.minimum(a, b)
        if axis == 0:
            out[:-1, :] |= jump
            out[1:, :] |= jump
        else:
            out[:, :-1] |= jump
            out[:, 1:] |= jump
    return out


def _box_sum(image: np.ndarray, radius: int) -> np.ndarray:
    """Sum over the ``(2r+1)²`` window around each pixel (zero outside the image)."""
    h, w = image.shape
    integral = np.zeros((h + 1, w + 1), dtype=np.float64)
    integral[1:, 1:] = np.cumsum(np.cumsum(image, axis=0, dtype=np.float64), axis=1)
    y0 = np.clip(np.arange(h) - radius, 0, h)[:, None]
    y1 = np.clip(np.arange(h) + radius + 1, 0, h)[:, None]
    x0 = np.clip(np.arange(w) - radius, 0, w)[None, :]
    x1 = np.clip(np.arange(w) + radius + 1, 0, w)[None, :]
    return integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]


def plane_residual(depth: np.ndarray, weight: np.ndarray, radius: int) -> tuple[np.ndarray, ...]:
    """Least-squares plane fit ``z ≈ a + b·dx + c·dy`` in each window over weighted pixels.

    Args:
        depth: ``(H, W)`` finite depth (values where ``weight`` is 0 are ignored).
        weight: ``(H, W)`` bool/0-1 pixels used by the fit.
        radius: window radius in pixels.

    Returns:
        ``(rms, count)``: ``(H, W)`` float64 RMS residual of the fit (``inf`` where the fit is
        degenerate) and the number of weighted pixels in each window.
    """
    m = np.asarray(weight, dtype=np.float64)
    z = np.where(m > 0, np.asarray(depth, dtype=np.float64), 0.0)
    h, w = z.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    s = {k: _box_sum(v, radius) for k, v in _moments(m, z, xx, yy).items()}
    n = s["1"]
    # moments about the window's centre pixel keep the normal equations well conditioned
    sx = s["x"] - n * xx
    sy = s["y"] - n * yy
    sxx = s["xx"] - 2 * xx * s["x"] + n * xx**2
    syy = s["yy"] - 2 * yy * s["y"] + n * yy**2
    sxy = s["xy"] - xx * s["y"] - yy * s["x"] + n * xx * yy
    sxz = s["xz"] - xx * s["z"]
    syz = s["yz"] - yy * s["z"]
    # the symmetric normal equations [[n, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]] c = b, solved
    # per pixel by the adjugate (Cramer's rule): vectorized, no (H, W, 3, 3) solve
    c00 = sxx * syy - sxy * sxy
    c01 = sy * sxy - sx * syy
    c02 = sx * sxy - sy * sxx
    c11 = n * syy - sy * sy
    c12 = sx * sy - n * sxy
    c22 = n * sxx - sx * sx
    det = n * c00 + sx * c01 + sy * c02
    ok = (n >= 3) & (np.abs(det) > 1e-9 * np.maximum(n, 1.0) ** 3)
    inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    b0, b1, b2 = s["z"], sxz, syz
    coef0 = (c00 * b0 + c01 * b1 + c02 * b2) * inv_det
    coef1 = (c01 * b0 + c11 * b1 + c12 * b2) * inv_det
    coef2 = (c02 * b0 + c12 * b1 + c22 * b2) * inv_det
    # residual sum of squares = Σz² − cᵀ b for least squares
    rss = s["zz"] - (coef0 * b0 + coef1 * b1 + coef2 * b2)
    rms = np.sqrt(np.maximum(rss, 0.0) / np.maximum(n, 1.0))
    rms[~ok] = np.inf
    return rms, n


def _moments(
    m: np.ndarray, z: np.ndarray, xx: np.ndarray, yy: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "1": m,
        "x": m * xx,
        "y": m * yy,
        "xx": m * xx * xx,
        "yy": m * yy * yy,
        "xy": m * xx * yy,
        "z": m * z,
        "xz": m * xx * z,
        "yz": m * yy * z,
        "zz": m * z * z,
    }


def compute_regions(
    depth_ref: np.ndarray, scale: float = 1.0, config: RegionConfig | None = None
) -> RegionMasks:
    """Edge band, flat and rim masks of a reference depth map (module docstring: definitions).

    Args:
        depth_ref: ``(H, W)`` reference depth, any unit; 0/NaN/inf invalid.
        scale: the HR/LR factor of the protocol (band and margin widths grow with it); >= 1.
        config: thresholds (defaults when ``None``).

    Returns:
        The masks. An all-invalid reference gives all-False masks.

    Raises:
        ShapeError: if ``depth_ref`` is not 2-D or ``scale`` is not a finite number >= 1.
    """
    from scipy import ndimage

    cfg = config or RegionConfig()
    if depth_ref.ndim != 2:
        raise ShapeError(f"compute_regions expects an (H, W) depth map, got {depth_ref.shape}")
    if not (math.isfinite(scale) and scale >= 1.0):
        raise ShapeError(f"region scale must be a finite number >= 1, got {scale}")
    z = np.asarray(depth_ref, dtype=np.float64)
    valid = np.isfinite(z) & (z > 0)
    empty = np.zeros(z.shape, dtype=bool)
    if not valid.any():
        return RegionMasks(valid, empty, empty.copy(), empty.copy(), empty.copy())
    if cfg.rim_px > 0 and not valid.all():
        near_hole = ndimage.distance_transform_edt(valid) <= cfg.rim_px
        core = valid & ~near_hole
    else:
        core = valid.copy()
    if not core.any():  # only rims: nothing trustworthy to fit or to find edges in
        return RegionMasks(valid, empty, empty.copy(), valid.copy(), empty.copy())
    rim = valid & ~core
    _, (iy, ix) = ndimage.distance_transform_edt(~core, return_indices=True)
    filled = z[iy, ix]
    disc = _discontinuities(filled, cfg.rel_jump)
    dist = ndimage.distance_transform_edt(~disc) if disc.any() else np.full(z.shape, np.inf)
    edge = core & (dist <= cfg.band_px(scale))
    rms, count = plane_residual(filled, core, cfg.plane_radius_px)
    window = _box_sum(np.ones(z.shape), cfg.plane_radius_px)  # smaller at the image border
    planar = (count >= cfg.min_plane_support * window) & (rms < cfg.plane_rel_residual * filled)
    flat = core & planar & (dist > cfg.margin_px(scale))
    return RegionMasks(valid, edge, flat, rim, disc)
