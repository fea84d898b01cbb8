# SPDX-License-Identifier: Apache-2.0
"""Procedural indoor RGB-D scenes with exact depth: the embedded default training data.

Each frame is a room (floor, walls, ceiling; 3-7 m wide, 2.4-3.4 m high) with 3-9 objects
(rotated boxes, spheres, vertical cylinders, thin slabs such as table tops and panels), seen by a
pinhole camera like common RGB-D cameras (640x480, fx = fy = 525 +- 5 %, scaled to the requested
size) at a random pose inside the room. Rendering is vectorized numpy ray casting against the
analytic primitives (no triangles, no loops over pixels):

* depth: the camera-frame z of the first hit, float32 metres in ``[0.3, 10]``;
* albedo: textures in surface coordinates (metres), chosen independently of geometry: flat,
  stripes, checkers, value noise and colour patches, so RGB edges often are not depth edges
  (and an object sometimes shares its background's material, so a depth edge may show no
  texture edge) - the texture-copying trap BridgeNet is built against; optionally
  (:class:`PhotoTextures`) a share of the materials are crops of real photos, whose edges
  have nothing to do with the scene's geometry;
* shading: Lambertian from the analytic normals plus ambient, 1-3 point lights with gentle
  distance fall-off, auto exposure, a little sensor noise.

Frames are deterministic per ``(seed, index)``: ``np.random.default_rng([seed, index])`` drives
everything, so workers can render any index in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from bridgenet_ros.data.frame_sequence import FrameSequence
from bridgenet_ros.errors import ConfigError

__all__ = [
    "BASE_FX",
    "BASE_SIZE_HW",
    "MAX_DEPTH_M",
    "MIN_DEPTH_M",
    "PhotoTextures",
    "SyntheticFrame",
    "SyntheticScenes",
    "render_scene",
    "scaled_intrinsics",
]

#: reference camera: 640x480, fx = fy = 525, principal point at the centre
BASE_SIZE_HW = (480, 640)
BASE_FX = 525.0
MIN_DEPTH_M = 0.3
MAX_DEPTH_M = 10.0
_EPS = 1e-4


@dataclass(frozen=True)
class SyntheticFrame:
    """One rendered frame.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 RGB.
        depth: ``(H, W)`` float32 metres in ``[0.3, 10]``, every pixel valid.
        K: ``(3, 3)`` float64 pinhole intrinsics for this ``(H, W)``.
    """

    rgb: np.ndarray
    depth: np.ndarray
    K: np.ndarray


def scaled_intrinsics(
    height: int, width: int, fx: float = BASE_FX, fy: float = BASE_FX
) -> np.ndarray:
    """Intrinsics of the 640x480 reference camera scaled to ``(height, width)``.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        fx: focal length in pixels at 640x480.
        fy: focal length in pixels at 640x480.

    Returns:
        ``(3, 3)`` float64 ``K`` (pixel centres at integer coordinates).
    """
    sx = width / BASE_SIZE_HW[1]
    sy = height / BASE_SIZE_HW[0]
    return np.array(
        [
            [fx * sx, 0.0, width / 2.0 - 0.5],
            [0.0, fy * sy, height / 2.0 - 0.5],
            [0.0, 0.0, 1.0],
        ],
        dtype=np.float64,
    )


# ----------------------------------------------------------------------------------- geometry


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation matrix ``R = R_y(yaw) @ R_x(pitch) @ R_z(roll)`` (y axis up)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


class PhotoTextures:
    """Real photos to cut albedo textures from (for :class:`SyntheticScenes`).

    Photos are read lazily (PIL), shrunk so the longer side is at most ``max_side`` pixels, and
    kept decoded as uint8 (``cache_size`` photos, about 150 kB each: 40 MB for the 256 training
    photos of RGB-D-D and Middlebury), so each DataLoader worker decodes each photo once. The
    list order is fixed by the caller: frames stay deterministic per ``(seed, index)`` for the
    same list.

    Args:
        paths: RGB image files (use training-split images only).
        max_side: longest side after shrinking, in pixels.
        cache_size: photos kept decoded.

    Raises:
        ConfigError: for an empty list.
    """

    def __init__(self, paths: Sequence[str | Path], max_side: int = 256, cache_size: int = 512):
        if not paths:
            raise ConfigError("PhotoTextures needs at least one photo")
        self.paths = [Path(p) for p in paths]
        self.max_side = int(max_side)
        self.cache_size = int(cache_size)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.paths)

    def image(self, index: int) -> np.ndarray:
        """Photo ``index`` as ``(h, w, 3)`` uint8 (shrunk, cached)."""
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        from PIL import Image

        from bridgenet_ros.data.folders import read_rgb_file

        rgb = read_rgb_file(self.paths[index])
        h, w = rgb.shape[:2]
        factor = self.max_side / max(h, w)
        if factor < 1.0:
            size = (max(1, round(w * factor)), max(1, round(h * factor)))
            bilinear = getattr(
                Image, "Resampling", Image
            ).BILINEAR  # Pillow < 9.1 has no Resampling
            rgb = np.asarray(Image.fromarray(rgb).resize(size, bilinear))
        photo = np.ascontiguousarray(rgb, dtype=np.uint8)
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[index] = photo
        return photo

    def __repr__(self) -> str:
        return f"PhotoTextures({len(self.paths)} photos, max_side={self.max_side})"


@dataclass
class _Material:
    """Albedo texture in surface coordinates (metres)."""

    kind: str
    colors: np.ndarray  # (2, 3) float32 in 0..1
    freq: float = 1.0  # cycles per metre / cells per metre
    angle: float = 0.0
    noise: np.ndarray | None = None  # (g, g) value-noise grid
    patches: np.ndarray | None = None  # (n, 7): u, v, ru, rv, r, g, b
    sharp: bool = True
    photo: np.ndarray | None = None  # (3, h, w) float32 crop of a real photo

    def _photo_albedo(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Mirror-tiled nearest lookup of the photo crop at ``freq`` texels per metre."""
        assert self.photo is not None
        _, ph, pw = self.photo.shape
        x = np.floor(u * np.float32(self.freq)).astype(np.int64) % (2 * pw)
        y = np.floor(v * np.float32(self.freq)).astype(np.int64) % (2 * ph)
        x = np.where(x >= pw, 2 * pw - 1 - x, x)
        y = np.where(y >= ph, 2 * ph - 1 - y, y)
        flat = self.photo.reshape(3, -1)
        index = y * pw + x
        return np.stack([flat[c].take(index) for c in range(3)]) * self.colors[0][:, None]

    def albedo(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``(3, n)`` float32 albedo (channel-first) at surface coordinates ``u``, ``v`` in m."""
        if self.kind == "photo":
            return self._photo_albedo(u, v)
        c0, c1 = self.colors[0], self.colors[1]
        if self.kind == "flat":
            t = None
        elif self.kind == "stripes":
            phase = np.float32(np.cos(self.angle)) * u + np.float32(np.sin(self.angle)) * v
            wave = np.sin(np.float32(2.0 * np.pi * self.freq) * phase)
            t = (wave > 0).astype(np.float32) if self.sharp else 0.5 + 0.5 * wave
        elif self.kind == "checkers":
            cells = np.floor(u * np.float32(self.freq)) + np.floor(v * np.float32(self.freq))
            t = (cells % 2).astype(np.float32)
        else:  # noise: bilinear value noise on a periodic grid
            assert self.noise is not None
            g = self.noise.shape[0]  # a power of two: "& (g - 1)" is the periodic wrap
            x = u * np.float32(self.freq)
            y = v * np.float32(self.freq)
            x0 = np.floor(x)
            y0 = np.floor(y)
            fx = x - x0
            fy = y - y0
            ix = x0.astype(np.int32) & (g - 1)
            row0 = (y0.astype(np.int32) & (g - 1)) * g
            row1 = (row0 + g) & (g * g - 1)
            jx = (ix + 1) & (g - 1)
            n = self.noise.ravel()
            top = n.take(row0 + ix)
            top += (n.take(row0 + jx) - top) * fx
            bottom = n.take(row1 + ix)
            bottom += (n.take(row1 + jx) - bottom) * fx
            t = top + (bottom - top) * fy
        out = np.empty((3, u.size), dtype=np.float32)
        for c in range(3):
            if t is None:
                out[c] = c0[c]
            else:
                out[c] = c0[c] + t * (c1[c] - c0[c])
        if self.patches is not None:
            for pu, pv, ru, rv, r, g_, b in self.patches:
                inside = (np.abs(u - pu) < ru) & (np.abs(v - pv) < rv)
                out[:, inside] = np.array([[r], [g_], [b]], dtype=np.float32)
        return out


def _photo_material(rng: np.random.Generator, photos: PhotoTextures) -> _Material:
    """A crop of a random photo (48 px to the whole photo), 40-200 texels per metre, tinted."""
    photo = photos.image(int(rng.integers(0, len(photos))))
    h, w = photo.shape[:2]
    ch = int(rng.integers(min(48, h), h + 1))
    cw = int(rng.integers(min(48, w), w + 1))
    y0 = int(rng.integers(0, h - ch + 1))
    x0 = int(rng.integers(0, w - cw + 1))
    crop = photo[y0 : y0 + ch, x0 : x0 + cw].transpose(2, 0, 1).astype(np.float32) / 255.0
    tint = rng.uniform(0.7, 1.15, 3).astype(np.float32)
    colors = np.stack([tint, tint]).astype(np.float32)
    return _Material(kind="photo", colors=colors, freq=float(rng.uniform(40.0, 200.0)), photo=crop)


def _random_material(
    rng: np.random.Generator, photos: PhotoTextures | None = None, photo_prob: float = 0.0
) -> _Material:
    """Draw a texture independent of the surface it will be put on.

    With ``photos`` a share ``photo_prob`` of the materials are photo crops (one more random draw
    per material; without photos the draws, and so the frames, are as before).
    """
    if photos is not None and rng.random() < photo_prob:
        return _photo_material(rng, photos)
    kind = str(rng.choice(["flat", "stripes", "checkers", "noise"], p=[0.2, 0.3, 0.2, 0.3]))
    base = rng.uniform(0.1, 0.95, 3)
    other = np.clip(base + rng.uniform(-0.6, 0.6, 3), 0.03, 1.0)
    material = _Material(kind=kind, colors=np.stack([base, other]).astype(np.float32))
    if kind == "stripes":
        material.freq = float(rng.uniform(1.5, 15.0))
        material.angle = float(rng.uniform(0, np.pi))
        material.sharp = bool(rng.random() < 0.6)
    elif kind == "checkers":
        material.freq = float(rng.uniform(2.0, 12.0))
    elif kind == "noise":
        material.freq = float(rng.uniform(2.0, 20.0))
        material.noise = rng.random((16, 16)).astype(np.float32)
    if rng.random() < 0.4:
        n = int(rng.integers(1, 5))
        patches = np.empty((n, 7), dtype=np.float64)
        patches[:, 0:2] = rng.uniform(0.0, 5.0, (n, 2))
        patches[:, 2:4] = rng.uniform(0.05, 0.6, (n, 2))
        patches[:, 4:7] = rng.uniform(0.05, 1.0, (n, 3))
        material.patches = patches
    return material


Rays = tuple[np.ndarray, np.ndarray, np.ndarray]  # x, y, z components, each (N,) float32


@dataclass
class _Primitive:
    """One analytic object: ``kind`` in box/sphere/cylinder, pose and size in metres.

    Ray arrays are kept as separate contiguous components (structure of arrays): numpy
    reductions over a length-3 axis are several times slower than element-wise ops.
    """

    kind: str
    center: np.ndarray  # (3,)
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))  # world_from_local
    half: np.ndarray = field(default_factory=lambda: np.ones(3))  # box half sizes
    radius: float = 0.5
    material: _Material | None = None

    def bounding_radius(self) -> float:
        """Radius of a sphere around ``center`` that contains the object (metres)."""
        if self.kind == "sphere":
            return float(self.radius)
        if self.kind == "cylinder":
            return float(np.hypot(self.radius, self.half[1]))
        return float(np.linalg.norm(self.half))

    def intersect(self, origin: np.ndarray, dirs: Rays) -> np.ndarray:
        """Ray parameter ``t`` of the first hit (``inf`` for a miss), ``(N,)`` float32."""
        dx, dy, dz = dirs
        if self.kind == "box":
            o = (origin - self.center) @ self.rotation
            rot = self.rotation.astype(np.float32)
            tmin: np.ndarray | None = None
            tmax: np.ndarray | None = None
            for k in range(3):
                d = rot[0, k] * dx + rot[1, k] * dy + rot[2, k] * dz
                with np.errstate(divide="ignore", invalid="ignore"):
                    inv = np.float32(1.0) / d
                    t1 = np.float32(-self.half[k] - o[k]) * inv
                    t2 = np.float32(self.half[k] - o[k]) * inv
                near = np.minimum(t1, t2)
                far = np.maximum(t1, t2)
                tmin = near if tmin is None else np.maximum(tmin, near, out=tmin)
                tmax = far if tmax is None else np.minimum(tmax, far, out=tmax)
            assert tmin is not None and tmax is not None
            hit = (tmax >= tmin) & (tmin > _EPS)
            return np.where(hit, tmin, np.float32(np.inf))
        oc = (origin - self.center).astype(np.float32)
        if self.kind == "sphere":
            a = dx * dx + dy * dy + dz * dz
            b = dx * oc[0] + dy * oc[1] + dz * oc[2]
            c = np.float32(oc @ oc - self.radius**2)
            disc = b * b - a * c
            with np.errstate(invalid="ignore"):
                t = (-b - np.sqrt(disc)) / a
            return np.where((disc >= 0) & (t > _EPS), t, np.float32(np.inf))
        # vertical cylinder: axis along y, centre at mid-height, half height half[1]
        a = dx * dx + dz * dz
        b = dx * oc[0] + dz * oc[2]
        c = np.float32(oc[0] ** 2 + oc[2] ** 2 - self.radius**2)
        half_h = np.float32(self.half[1])
        disc = b * b - a * c
        with np.errstate(invalid="ignore", divide="ignore"):
            t_side = (-b - np.sqrt(disc)) / a
            y_side = oc[1] + t_side * dy
            side_ok = (disc >= 0) & (t_side > _EPS) & (np.abs(y_side) <= half_h)
            cap_y = half_h if oc[1] > 0 else -half_h
            t_cap = (cap_y - oc[1]) / dy
            cx = oc[0] + t_cap * dx
            cz = oc[2] + t_cap * dz
            cap_ok = (t_cap > _EPS) & (cx * cx + cz * cz <= np.float32(self.radius**2))
        t = np.where(side_ok, t_side, np.float32(np.inf))
        return np.where(cap_ok & (t_cap < t), t_cap, t)

    def surface(
        self, px: np.ndarray, py: np.ndarray, pz: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Outward unit normals and surface coordinates at hit points.

        Args:
            px: ``(n,)`` world x of the hit points (metres); ``py``, ``pz`` likewise.
            py: world y.
            pz: world z.

        Returns:
            ``(nx, ny, nz, u, v)``, each ``(n,)`` float32; ``u``, ``v`` in metres.
        """
        rot = self.rotation.astype(np.float32)
        cx, cy, cz = (np.float32(c) for c in self.center)
        qx, qy, qz = px - cx, py - cy, pz - cz
        # local = (p - c) @ R
        l0 = rot[0, 0] * qx + rot[1, 0] * qy + rot[2, 0] * qz
        l1 = rot[0, 1] * qx + rot[1, 1] * qy + rot[2, 1] * qz
        l2 = rot[0, 2] * qx + rot[1, 2] * qy + rot[2, 2] * qz
        if self.kind == "box":
            r0 = np.abs(l0) / np.float32(self.half[0])
            r1 = np.abs(l1) / np.float32(self.half[1])
            r2 = np.abs(l2) / np.float32(self.half[2])
            ax0 = (r0 >= r1) & (r0 >= r2)
            ax1 = ~ax0 & (r1 >= r2)
            ax2 = ~ax0 & ~ax1
            m0 = np.where(ax0, np.sign(l0), np.float32(0.0))
            m1 = np.where(ax1, np.sign(l1), np.float32(0.0))
            m2 = np.where(ax2, np.sign(l2), np.float32(0.0))
            u = np.where(ax0, l2, l0)
            v = np.where(ax1, l2, l1)
        elif self.kind == "sphere":
            inv_r = np.float32(1.0 / self.radius)
            m0, m1, m2 = l0 * inv_r, l1 * inv_r, l2 * inv_r
            u = np.arctan2(l2, l0) * np.float32(self.radius)
            v = l1
        else:
            on_cap = np.abs(np.abs(l1) - np.float32(self.half[1])) < 1e-3
            inv_r = np.float32(1.0 / self.radius)
            m0 = np.where(on_cap, np.float32(0.0), l0 * inv_r)
            m2 = np.where(on_cap, np.float32(0.0), l2 * inv_r)
            m1 = np.where(on_cap, np.sign(l1), np.float32(0.0))
            u = np.where(on_cap, l0, np.arctan2(l2, l0) * np.float32(self.radius))
            v = np.where(on_cap, l2, l1)
        # world normal = R @ local normal
        nx = rot[0, 0] * m0 + rot[0, 1] * m1 + rot[0, 2] * m2
        ny = rot[1, 0] * m0 + rot[1, 1] * m1 + rot[1, 2] * m2
        nz = rot[2, 0] * m0 + rot[2, 1] * m1 + rot[2, 2] * m2
        return nx, ny, nz, u, v


# ------------------------------------------------------------------------------------ scenes


def _place_objects(
    rng: np.random.Generator, room: np.ndarray, camera: np.ndarray, yaw: float
) -> list[_Primitive]:
    """Random boxes/spheres/cylinders/slabs in ``room`` (x, y, z extents), clear of the camera.

    About two thirds are put in front of the camera (within +-30 degrees of its heading,
    0.9-4.5 m away) so most frames show objects, the rest anywhere in the room.
    """
    objects: list[_Primitive] = []
    count = int(rng.integers(3, 10))
    tries = 0
    while len(objects) < count and tries < 60:
        tries += 1
        kind = str(rng.choice(["box", "sphere", "cylinder", "slab"], p=[0.35, 0.2, 0.2, 0.25]))
        if rng.random() < 0.67:
            heading = yaw + rng.uniform(-0.52, 0.52)
            dist = rng.uniform(0.9, 4.5)
            x = float(np.clip(camera[0] + dist * np.sin(heading), 0.3, room[0] - 0.3))
            z = float(np.clip(camera[2] + dist * np.cos(heading), 0.3, room[2] - 0.3))
        else:
            x = rng.uniform(0.3, room[0] - 0.3)
            z = rng.uniform(0.3, room[2] - 0.3)
        obj_yaw = rng.uniform(0, np.pi)
        if kind == "box":
            half = rng.uniform(0.1, 0.6, 3)
            on_floor = rng.random() < 0.7
            y = half[1] if on_floor else rng.uniform(half[1] + 0.2, room[1] - half[1] - 0.05)
            tilt = 0.0 if on_floor else rng.uniform(-0.6, 0.6)
            prim = _Primitive("box", np.array([x, y, z]), _rotation(obj_yaw, tilt, 0.0), half)
            reach = float(np.linalg.norm(half))
        elif kind == "slab":
            if rng.random() < 0.6:  # horizontal: table top, shelf
                half = np.array(
                    [rng.uniform(0.3, 1.0), rng.uniform(0.015, 0.04), rng.uniform(0.2, 0.6)]
                )
                y = rng.uniform(0.4, min(2.0, room[1] - 0.2))
                rotation = _rotation(obj_yaw, 0.0, 0.0)
            else:  # vertical panel / door / screen, possibly leaning
                half = np.array(
                    [rng.uniform(0.2, 0.9), rng.uniform(0.3, 1.0), rng.uniform(0.01, 0.04)]
                )
                y = rng.uniform(half[1], max(half[1], room[1] - half[1]))
                rotation = _rotation(obj_yaw, rng.uniform(-0.3, 0.3), 0.0)
            prim = _Primitive("box", np.array([x, y, z]), rotation, half)
            reach = float(np.linalg.norm(half))
        elif kind == "sphere":
            radius = rng.uniform(0.1, 0.6)
            y = radius if rng.random() < 0.5 else rng.uniform(radius, room[1] - radius)
            prim = _Primitive("sphere", np.array([x, y, z]), radius=radius)
            reach = radius
        else:
            radius = rng.uniform(0.05, 0.4)
            half_h = rng.uniform(0.2, min(1.2, room[1] / 2))
            prim = _Primitive(
                "cylinder",
                np.array([x, half_h, z]),
                half=np.array([radius, half_h, radius]),
                radius=radius,
            )
            reach = float(np.hypot(radius, half_h))
        if np.linalg.norm(prim.center - camera) < reach + 0.45:
            continue
        objects.append(prim)
    return objects


def _screen_rect(
    prim: _Primitive, camera: np.ndarray, r_wc: np.ndarray, K: np.ndarray, height: int, width: int
) -> tuple[int, int, int, int] | None:
    """Conservative pixel rectangle ``(y0, y1, x0, x1)`` holding the object's projection.

    Uses the bounding sphere: for camera-frame points with ``x in [cx - r, cx + r]`` and
    ``z in [cz - r, cz + r]`` (``z > 0``) the extremes of ``x / z`` lie at the corners. Returns
    the whole image when the sphere reaches behind the camera, ``None`` when it is entirely
    behind or off screen.
    """
    radius = prim.bounding_radius()
    c = r_wc.T.astype(np.float64) @ (prim.center - camera)
    if c[2] + radius <= 0.0:
        return None
    if c[2] - radius <= 0.05:
        return 0, height, 0, width
    z_near, z_far = c[2] - radius, c[2] + radius
    ratios_x = [
        (c[0] - radius) / z_near,
        (c[0] - radius) / z_far,
        (c[0] + radius) / z_near,
        (c[0] + radius) / z_far,
    ]
    ratios_y = [
        (c[1] - radius) / z_near,
        (c[1] - radius) / z_far,
        (c[1] + radius) / z_near,
        (c[1] + radius) / z_far,
    ]
    x0 = int(np.floor(K[0, 0] * min(ratios_x) + K[0, 2])) - 1
    x1 = int(np.ceil(K[0, 0] * max(ratios_x) + K[0, 2])) + 2
    y0 = int(np.floor(K[1, 1] * min(ratios_y) + K[1, 2])) - 1
    y1 = int(np.ceil(K[1, 1] * max(ratios_y) + K[1, 2])) + 2
    x0, x1 = max(x0, 0), min(x1, width)
    y0, y1 = max(y0, 0), min(y1, height)
    if x0 >= x1 or y0 >= y1:
        return None
    return y0, y1, x0, x1


def _draw_camera(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    """Draw the room and a camera inside it looking into it.

    Returns:
        ``(room (3,) metres, camera (3,) world position, yaw rad, r_wc (3, 3) float32
        world_from_camera, K (3, 3) float64 for (height, width))``.
    """
    room = np.array([rng.uniform(3.0, 7.0), rng.uniform(2.4, 3.4), rng.uniform(3.0, 7.0)])
    camera = np.array(
        [
            rng.uniform(0.6, room[0] - 0.6),
            rng.uniform(0.8, min(2.0, room[1] - 0.3)),
            rng.uniform(0.6, room[2] - 0.6),
        ]
    )
    # Look roughly towards a random point of the room's central part.
    target = room * rng.uniform(0.25, 0.75, 3)
    yaw = float(np.arctan2(target[0] - camera[0], target[2] - camera[2]) + rng.uniform(-0.4, 0.4))
    # Camera frame: x right, y down, z forward. World: y up.
    r_wc = _rotation(yaw, rng.uniform(-0.45, 0.15), rng.uniform(-0.08, 0.08))
    r_wc = (r_wc @ np.diag([1.0, -1.0, 1.0])).astype(np.float32)  # camera y points down
    focal = BASE_FX * rng.uniform(0.95, 1.05)
    K = scaled_intrinsics(height, width, focal, focal * rng.uniform(0.99, 1.01))
    return room, camera, yaw, r_wc, K


def _view_pose(
    camera: np.ndarray,
    r_wc: np.ndarray,
    view_from_ref: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(eye (3,), r_view (3, 3) float32)``: the rendering camera's position and rotation."""
    if view_from_ref is None:
        return camera, r_wc
    # world_from_view = world_from_ref @ ref_from_view
    rot = np.asarray(view_from_ref[0], dtype=np.float64)
    eye = camera - r_wc.astype(np.float64) @ rot.T @ np.asarray(view_from_ref[1], float)
    r_view = (r_wc.astype(np.float64) @ rot.T).astype(np.float32)
    return eye, r_view


def _camera_rays(r_view: np.ndarray, K: np.ndarray, height: int, width: int) -> Rays:
    """World ray directions ``r_view @ (u, v, 1)`` per pixel, each component ``(H, W)``.

    ``z_cam = 1``, so the ray parameter ``t`` is the depth. Kept as images so an object's rays
    can be sliced to its screen rectangle.
    """
    u = (np.arange(width, dtype=np.float32) - np.float32(K[0, 2])) / np.float32(K[0, 0])
    v = (np.arange(height, dtype=np.float32) - np.float32(K[1, 2])) / np.float32(K[1, 1])
    return tuple(  # type: ignore[return-value]
        r_view[k, 0] * u[None, :] + (r_view[k, 1] * v[:, None] + r_view[k, 2]) for k in range(3)
    )


def _cast_room(room: np.ndarray, cam32: np.ndarray, dirs: Rays) -> tuple[np.ndarray, np.ndarray]:
    """Exit of every ray through the inside of the box ``[0, room]``.

    Returns:
        ``(t (H, W) float32 depth, id (H, W) int16 surface 2 * axis + side)``.
    """
    shape = dirs[0].shape
    best_t: np.ndarray = np.full(shape, np.inf, dtype=np.float32)
    best_id: np.ndarray = np.zeros(shape, dtype=np.int16)
    for axis in range(3):
        d = dirs[axis]
        # signbit, not d > 0: a ray with d == -0.0 must aim at the 0 wall to give +inf
        positive = ~np.signbit(d)
        bound = np.where(positive, np.float32(room[axis]), np.float32(0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (bound - cam32[axis]) / d  # > 0 or +inf: the camera is inside the room
        closer = t < best_t
        best_t = np.where(closer, t, best_t)
        best_id = np.where(closer, (2 * axis + positive).astype(np.int16), best_id)
    return best_t, best_id


def _cast_objects(
    objects: list[_Primitive],
    eye: np.ndarray,
    r_view: np.ndarray,
    K: np.ndarray,
    dirs: Rays,
    best_t: np.ndarray,
    best_id: np.ndarray,
) -> None:
    """Intersect each object's screen rectangle; nearer hits overwrite ``best_t``/``best_id``.

    Object ``k`` gets surface id ``6 + k``; ``best_t`` and ``best_id`` (``(H, W)``) are
    updated in place.
    """
    height, width = best_t.shape
    for k, prim in enumerate(objects):
        rect = _screen_rect(prim, eye, r_view, K, height, width)
        if rect is None:
            continue
        y0, y1, x0, x1 = rect
        window = (slice(y0, y1), slice(x0, x1))
        t = prim.intersect(eye, (dirs[0][window], dirs[1][window], dirs[2][window]))
        closer = t < best_t[window]
        best_t[window][closer] = t[closer]
        best_id[window][closer] = 6 + k


def _assign_materials(
    rng: np.random.Generator,
    objects: list[_Primitive],
    photos: PhotoTextures | None,
    photo_prob: float,
) -> list[_Material]:
    """Draw the six room materials and set each object's; returns the room materials."""
    room_materials = [_random_material(rng, photos, photo_prob) for _ in range(6)]
    for prim in objects:
        if rng.random() < 0.15:  # same material as a wall: depth edge without texture edge
            prim.material = room_materials[int(rng.integers(0, 6))]
        else:
            prim.material = _random_material(rng, photos, photo_prob)
    return room_materials


def _surface_albedo(
    rng: np.random.Generator,
    p_world: Rays,
    best_id: np.ndarray,
    objects: list[_Primitive],
    room_materials: list[_Material],
) -> tuple[Rays, np.ndarray]:
    """Normals and albedo of every pixel's surface point.

    Args:
        rng: draws the per-surface texture offsets.
        p_world: world coordinates of the hits, each ``(N,)`` float32.
        best_id: ``(N,)`` int16 surface ids (room ``0-5``, object ``k`` at ``6 + k``).
        objects: the placed objects, materials assigned.
        room_materials: the six room materials.

    Returns:
        ``((nx, ny, nz) each (N,) float32, albedo (3, N) float32)``.
    """
    n_pix = best_id.size
    # Room-plane normals by table lookup; object pixels are overwritten below.
    table = np.zeros((3, 6 + len(objects)), dtype=np.float32)
    for sid in range(6):
        table[sid // 2, sid] = -1.0 if sid % 2 else 1.0
    nx, ny, nz = (np.take(table[k], best_id) for k in range(3))
    albedo = np.empty((3, n_pix), dtype=np.float32)  # channel-first: contiguous rows
    n_surfaces = 6 + len(objects)
    offsets = rng.uniform(0.0, 3.0, (n_surfaces, 2)).astype(np.float32)
    order = np.argsort(best_id, kind="stable")
    bounds = np.searchsorted(best_id[order], np.arange(n_surfaces + 1))
    for sid in range(n_surfaces):
        idx = order[bounds[sid] : bounds[sid + 1]]
        if idx.size == 0:
            continue
        if sid < 6:
            axis = sid // 2
            others = [a for a in range(3) if a != axis]
            su = p_world[others[0]].take(idx)
            sv = p_world[others[1]].take(idx)
            material = room_materials[sid]
        else:
            prim = objects[sid - 6]
            snx, sny, snz, su, sv = prim.surface(*(p.take(idx) for p in p_world))
            nx[idx] = snx
            ny[idx] = sny
            nz[idx] = snz
            assert prim.material is not None
            material = prim.material
        albedo[:, idx] = material.albedo(su + offsets[sid, 0], sv + offsets[sid, 1])
    return (nx, ny, nz), albedo


def _shade(rng: np.random.Generator, room: np.ndarray, p_world: Rays, normals: Rays) -> np.ndarray:
    """Lambertian + ambient shading with 1-3 point lights near the ceiling: ``(3, N)`` float32."""
    px, py, pz = p_world
    nx, ny, nz = normals
    ambient = np.float32(rng.uniform(0.15, 0.4))
    shade = np.full((3, px.size), ambient, dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):
        light = rng.uniform(0.0, 1.0, 3) * room
        light[1] = rng.uniform(0.7, 1.0) * room[1]
        color = rng.uniform(0.8, 1.0, 3).astype(np.float32) * np.float32(rng.uniform(0.6, 1.2))
        lx = np.float32(light[0]) - px
        ly = np.float32(light[1]) - py
        lz = np.float32(light[2]) - pz
        dist2 = lx * lx + ly * ly + lz * lz
        lambert = (nx * lx + ny * ly + nz * lz) / np.sqrt(dist2 + np.float32(1e-6))
        weight = np.maximum(lambert, 0.0) * (np.float32(4.0) / (np.float32(4.0) + dist2))
        for c in range(3):
            shade[c] += weight * color[c]
    return shade


def _expose(rng: np.random.Generator, radiance: np.ndarray, height: int, width: int) -> np.ndarray:
    """Auto exposure, sensor noise and rounding of ``(3, N)`` radiance: ``(H, W, 3)`` uint8.

    ``radiance`` is scaled in place.
    """
    gain = np.float32(0.45 / max(float(radiance.mean()), 1e-3) * 255.0)
    radiance *= gain
    # sensor noise: uniform in +-4.35 grey levels (std 2.5) from random bytes (fast), with the
    # +0.5 of rounding folded in so the uint8 cast below rounds.
    noise = np.frombuffer(rng.bytes(radiance.size), dtype=np.uint8).reshape(radiance.shape)
    radiance += noise * np.float32(8.7 / 255.0) + np.float32(0.5 - 4.35)
    np.clip(radiance, 0.0, 255.99, out=radiance)
    return np.ascontiguousarray(radiance.astype(np.uint8).T).reshape(height, width, 3)


def render_scene(
    rng: np.random.Generator,
    height: int,
    width: int,
    *,
    view_from_ref: tuple[np.ndarray, np.ndarray] | None = None,
    intrinsics: np.ndarray | None = None,
    photos: PhotoTextures | None = None,
    photo_prob: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one random scene, optionally from a second camera of the same rig.

    Args:
        rng: the generator that decides everything about the scene.
        height: image height in pixels.
        width: image width in pixels.
        view_from_ref: ``(R (3, 3), t (3,) metres)``: render from a camera whose optical frame
            is ``p_view = R @ p_ref + t``, ``p_ref`` in the randomly drawn camera's optical
            frame (x right, y down, z forward). The scene (room, objects, materials, lights)
            is the same as without it; default: the drawn camera.
        intrinsics: ``(3, 3)`` ``K`` of the rendering camera for ``(height, width)``; default:
            the drawn one (the random focal length is drawn either way, so the scene is the
            same).
        photos: real photos for photo-crop materials (``None``: procedural textures only).
        photo_prob: share of materials cut from ``photos``.

    Returns:
        ``(rgb (H, W, 3) uint8, depth (H, W) float32 metres, K (3, 3) float64)``.
    """
    room, camera, yaw, r_wc, K = _draw_camera(rng, height, width)
    if intrinsics is not None:
        K = np.asarray(intrinsics, dtype=np.float64).reshape(3, 3)
    eye, r_view = _view_pose(camera, r_wc, view_from_ref)
    dirs = _camera_rays(r_view, K, height, width)
    cam32 = eye.astype(np.float32)
    best_t, best_id = _cast_room(room, cam32, dirs)
    objects = _place_objects(rng, room, camera, yaw)
    _cast_objects(objects, eye, r_view, K, dirs, best_t, best_id)
    best_t = best_t.ravel()
    best_id = best_id.ravel()
    room_materials = _assign_materials(rng, objects, photos, photo_prob)
    p_world: Rays = tuple(  # type: ignore[assignment]
        cam32[k] + best_t * dirs[k].ravel() for k in range(3)
    )
    normals, albedo = _surface_albedo(rng, p_world, best_id, objects, room_materials)
    rgb = _expose(rng, albedo * _shade(rng, room, p_world, normals), height, width)
    depth = np.clip(best_t, MIN_DEPTH_M, MAX_DEPTH_M).astype(np.float32).reshape(height, width)
    return rgb, depth, K


class SyntheticScenes(FrameSequence[SyntheticFrame]):
    """Indexable procedural RGB-D scenes, deterministic per ``(seed, index)``.

    Args:
        seed: base seed; the same ``(seed, index)`` always renders the same frame.
        height: image height in pixels.
        width: image width in pixels.
        length: nominal number of frames (``len``); any index below it can be rendered.
        photos: real photos for photo-crop textures (``None``: procedural textures only).
        photo_texture_prob: share of materials cut from ``photos``.

    Raises:
        ConfigError: for a non-positive size or length.
    """

    def __init__(
        self,
        seed: int = 0,
        height: int = 480,
        width: int = 640,
        length: int = 100_000,
        *,
        photos: PhotoTextures | None = None,
        photo_texture_prob: float = 0.5,
    ) -> None:
        if height < 8 or width < 8:
            raise ConfigError(f"synthetic frame size must be at least 8x8, got {width}x{height}")
        if length < 1:
            raise ConfigError(f"synthetic length must be positive, got {length}")
        if seed < 0:
            raise ConfigError(f"synthetic seed must be >= 0, got {seed}")
        self.seed = int(seed)
        self.height = int(height)
        self.width = int(width)
        self.length = int(length)
        self.photos = photos
        self.photo_texture_prob = float(photo_texture_prob)

    def __len__(self) -> int:
        return self.length

    def _frame(self, index: int) -> SyntheticFrame:
        """Render frame ``index`` (negative indices count from ``len``)."""
        rng = np.random.default_rng([self.seed, index])
        rgb, depth, K = render_scene(
            rng,
            self.height,
            self.width,
            photos=self.photos,
            photo_prob=self.photo_texture_prob,
        )
        return SyntheticFrame(rgb=rgb, depth=depth, K=K)

    def __repr__(self) -> str:
        return (
            f"SyntheticScenes(seed={self.seed}, height={self.height}, width={self.width}, "
            f"length={self.length}, photos={self.photos!r})"
        )
