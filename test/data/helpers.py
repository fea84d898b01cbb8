# SPDX-License-Identifier: Apache-2.0
"""Tiny generated RGB-D folders shared by the data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_pair(
    root: Path,
    stem: str,
    depth_mm: np.ndarray,
    rgb_ext: str = ".png",
    depth_ext: str = ".png",
    rgb: np.ndarray | None = None,
) -> None:
    """Write ``root/rgb/<stem><rgb_ext>`` and ``root/depth/<stem><depth_ext>``."""
    (root / "rgb").mkdir(parents=True, exist_ok=True)
    (root / "depth").mkdir(parents=True, exist_ok=True)
    h, w = depth_mm.shape
    if rgb is None:
        rng = np.random.default_rng(abs(hash(stem)) % 2**32)
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(root / "rgb" / f"{stem}{rgb_ext}")
    path = root / "depth" / f"{stem}{depth_ext}"
    if depth_ext == ".npy":
        np.save(path, depth_mm.astype(np.float32))
    elif depth_ext in (".tif", ".tiff"):
        Image.fromarray(depth_mm.astype(np.float32), "F").save(path)
    else:
        Image.fromarray(depth_mm.astype(np.uint16)).save(path)


def ramp_mm(h: int = 24, w: int = 32, lo: int = 800, hi: int = 3000) -> np.ndarray:
    """A smooth uint16 millimetre depth ramp ``(h, w)``."""
    x = np.linspace(lo, hi, w)
    y = np.linspace(0, 200, h)
    return (x[None, :] + y[:, None]).astype(np.uint16)


#: a sensor model that changes nothing (the tests switch on one effect at a time)
NO_DEGRADATION = dict(
    noise_a_m=0.0,
    noise_b_per_m=0.0,
    quantization_mm=0.0,
    random_dropout=0.0,
    grazing_dropout=0.0,
    far_dropout=0.0,
    flying_pixel_prob=0.0,
    dark_dropout=0.0,
)
