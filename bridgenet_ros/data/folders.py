# SPDX-License-Identifier: Apache-2.0
"""Folder-format RGB-D sets: the project's interchange format and the shared real data.

Layout::

    ROOT/rgb/<stem>.png|jpg|jpeg
    ROOT/depth/<stem>.png|npy|tif|tiff
    ROOT/<lr_subdir>/<stem>.png|npy|tif|tiff      (optional real or precomputed LR depth)

A frame is a pair of files with the same stem. ``depth_scale`` maps file values to metres
(millimetre PNG: 0.001, NYU npy: 1.0, TUM: 0.0002); ``None`` marks a unit-less set (8-bit
disparity-like maps such as Middlebury, larger = nearer) whose raw values flow through unchanged.
Invalid depth is 0 or NaN (non-finite values are turned into NaN).

Pairing happens once, at construction: a stem with only one of the two files, or two files of
one kind with the same stem (``a.png`` and ``a.jpg``), is a :class:`DataError` naming the file, or
a counted skip with ``on_error="skip"`` (see :attr:`RGBDFolder.skipped`). Never a silent
mis-pairing. File contents are read lazily by ``folder[i]``; a content problem there (unreadable
file, RGB/depth size mismatch, all-invalid depth) always raises :class:`DataError`; the torch
datasets count and skip those when configured.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Literal, Sequence

import numpy as np

from bridgenet_ros.data.frame_sequence import FrameSequence
from bridgenet_ros.data.splits import (
    FIXED_TRAIN_STEMS,
    GroupBy,
    Split,
    fixed_split_indices,
    group_for_stem,
    split_indices,
)
from bridgenet_ros.errors import DataError

__all__ = [
    "DATA_ROOT_ENV",
    "DEFAULT_DATA_ROOT",
    "DEPTH_EXTENSIONS",
    "NAMED_SETS",
    "RGB_EXTENSIONS",
    "UNITS",
    "NamedSet",
    "OnError",
    "RGBDFolder",
    "RGBDSample",
    "open_named_set",
    "read_depth_file",
    "read_rgb_file",
    "resolve_depth_scale",
]

OnError = Literal["raise", "skip"]

RGB_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg")
DEPTH_EXTENSIONS: tuple[str, ...] = (".png", ".npy", ".tif", ".tiff")

#: unit name -> metres per file value (``None``: unit-less raw values)
UNITS: dict[str, float | None] = {
    "m": 1.0,
    "mm": 0.001,
    "tum": 0.0002,
    "unitless": None,
}

#: environment variable naming the data root of the named sets (overrides the default below)
DATA_ROOT_ENV = "BRIDGENET_DATA_ROOT"

#: ``$BRIDGENET_DATA_ROOT`` when set, else ``../shared/data`` relative to the repository root
#: (the package is installed editable).
DEFAULT_DATA_ROOT = Path(
    os.environ.get(DATA_ROOT_ENV) or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)


@dataclass(frozen=True)
class RGBDSample:
    """One aligned RGB-D frame.

    Attributes:
        name: file stem, e.g. ``20200509112638``.
        rgb: ``(H, W, 3)`` uint8, RGB order.
        depth_hr: ``(H, W)`` float32, metres (raw values for a unit-less set); 0/NaN invalid.
        depth_lr: ``(h, w)`` float32 real low-resolution depth in the same unit, or ``None``.
        group: split group (capture day, sequence, or the stem).
        metric: ``False`` for a unit-less set (``depth_scale`` ``None``).
    """

    name: str
    rgb: np.ndarray
    depth_hr: np.ndarray
    depth_lr: np.ndarray | None
    group: str
    metric: bool = True


def resolve_depth_scale(depth_scale: float | str | None, where: str = "") -> float | None:
    """Turn a ``depth_scale`` (number, unit name or ``None``) into metres per file value.

    Args:
        depth_scale: positive number, ``None`` (unit-less), or a unit name from :data:`UNITS`
            (``m``, ``mm``, ``tum``, ``unitless``).
        where: label for the error message (folder or config field).

    Returns:
        Metres per file value, or ``None`` for a unit-less set.

    Raises:
        DataError: for an unknown unit name or a non-positive / non-finite number.
    """
    if depth_scale is None:
        return None
    if isinstance(depth_scale, str):
        if depth_scale not in UNITS:
            raise DataError(
                f"{where}: unknown depth unit {depth_scale!r}; use a number of metres per file "
                f"value or one of {sorted(UNITS)}"
            )
        return UNITS[depth_scale]
    value = float(depth_scale)
    if not math.isfinite(value) or value <= 0.0:
        raise DataError(
            f"{where}: depth_scale must be a positive number of metres per file value or None "
            f"(unit-less), got {depth_scale!r}"
        )
    return value


def read_rgb_file(path: Path) -> np.ndarray:
    """Read an RGB image as ``(H, W, 3)`` uint8 (grey/alpha/palette images are converted).

    Raises:
        DataError: if the file is missing or not a readable image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode in ("I;16", "I", "F"):
                raise DataError(
                    f"{path}: RGB image has a {image.mode} (16-bit/float) mode; expected 8-bit "
                    "colour (did you swap the rgb/ and depth/ folders?)"
                )
            return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise DataError(f"{path}: cannot read RGB image ({err}); check the file") from err


def read_depth_file(path: Path, depth_scale: float | None) -> np.ndarray:
    """Read a depth file and convert it to float32 metres (or raw values when unit-less).

    PNG/TIFF go through PIL (uint8, uint16, int32 or float32 single-channel); ``.npy`` through
    ``numpy.load`` (no pickles). Non-finite values become NaN; 0 stays 0 (both invalid).

    Args:
        path: the depth file.
        depth_scale: metres per file value, or ``None`` to keep raw values.

    Returns:
        ``(H, W)`` float32 depth.

    Raises:
        DataError: if the file cannot be read, is not a single-channel 2-D map, or an 8-bit map
            is given a metric scale (8-bit depth is unit-less; pass ``depth_scale=None``).
    """
    from PIL import Image, UnidentifiedImageError

    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            raw = np.load(path, allow_pickle=False)
        else:
            with Image.open(path) as image:
                if image.mode in ("RGB", "RGBA", "P", "LA", "CMYK", "YCbCr"):
                    raise DataError(
                        f"{path}: depth image has colour mode {image.mode}; expected a "
                        "single-channel 8/16-bit or float map"
                    )
                raw = np.asarray(image)
    except DataError:
        raise
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise DataError(f"{path}: cannot read depth map ({err}); check the file") from err
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[:, :, 0]
    if raw.ndim != 2 or raw.dtype.kind not in "uif":
        raise DataError(
            f"{path}: depth map must be a 2-D numeric array, got shape {raw.shape} "
            f"dtype {raw.dtype}"
        )
    if raw.dtype == np.uint8 and depth_scale is not None:
        raise DataError(
            f"{path}: 8-bit depth map with a metric depth_scale={depth_scale}; 8-bit maps are "
            "unit-less disparity-like values: use depth_scale=None (unit 'unitless')"
        )
    depth = raw.astype(np.float32)
    depth[~np.isfinite(depth)] = np.nan
    if depth_scale is not None and depth_scale != 1.0:
        depth *= np.float32(depth_scale)
    return depth


def _index_files(folder: Path, extensions: Sequence[str]) -> dict[str, list[Path]]:
    """Map stem -> files with an accepted extension in ``folder`` (sorted)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in extensions and not path.name.startswith("."):
            found.setdefault(path.stem, []).append(path)
    return found


class RGBDFolder(FrameSequence[RGBDSample]):
    """A folder-format RGB-D set, indexable as a sequence of :class:`RGBDSample`.

    Args:
        root: the set folder (holding ``rgb/`` and ``depth/``).
        depth_scale: metres per depth-file value, a unit name (``m``, ``mm``, ``tum``,
            ``unitless``), or ``None`` for a unit-less set.
        lr_subdir: optional sub-folder with real low-resolution depth (same stems, same unit).
        rgb_subdir: RGB sub-folder name.
        depth_subdir: HR depth sub-folder name.
        on_error: ``raise`` (default) or ``skip``: what to do with a stem lacking its partner
            file (or duplicated); skips are counted in :attr:`skipped`.
        group_by: how frames are grouped for splits (``day``, ``stem``, ``set``).
        split: keep only ``train``, ``val`` or ``all`` frames (see :mod:`.splits`).
        val_fraction: share of groups in validation.
        name: set name for messages and grouping (default: the folder name).
        train_stems: a fixed split instead of the group split: ``train`` = these stems,
            ``val`` = every other frame (see :data:`~.splits.FIXED_TRAIN_STEMS`).

    A split may be empty (a set recorded on one day has no validation group); the set as a
    whole may not.

    Raises:
        DataError: for a missing folder, an empty set, an unknown unit, or (with
            ``on_error="raise"``) an unpaired or duplicated stem.
    """

    def __init__(
        self,
        root: str | Path,
        depth_scale: float | str | None = 0.001,
        lr_subdir: str | None = None,
        *,
        rgb_subdir: str = "rgb",
        depth_subdir: str = "depth",
        on_error: OnError = "raise",
        group_by: GroupBy = "day",
        split: Split = "all",
        val_fraction: float = 0.2,
        name: str | None = None,
        train_stems: Collection[str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.name = name or self.root.name
        self.depth_scale = resolve_depth_scale(depth_scale, where=str(self.root))
        self.lr_subdir = lr_subdir
        if on_error not in ("raise", "skip"):
            raise DataError(f"{self.root}: on_error must be 'raise' or 'skip', got {on_error!r}")
        self.on_error: OnError = on_error
        #: ``(path, problem)`` of every file skipped while pairing (``on_error="skip"``).
        self.skipped: list[tuple[Path, str]] = []
        rgb_dir = self.root / rgb_subdir
        depth_dir = self.root / depth_subdir
        lr_dir = self.root / lr_subdir if lr_subdir else None
        for folder in (rgb_dir, depth_dir, lr_dir):
            if folder is not None and not folder.is_dir():
                raise DataError(
                    f"{folder}: folder is missing; an RGB-D folder set needs ROOT/{rgb_subdir}/ "
                    f"and ROOT/{depth_subdir}/ (and ROOT/<lr_subdir>/ when lr_subdir is given)"
                )
        rgb_files = _index_files(rgb_dir, RGB_EXTENSIONS)
        depth_files = _index_files(depth_dir, DEPTH_EXTENSIONS)
        lr_files = _index_files(lr_dir, DEPTH_EXTENSIONS) if lr_dir is not None else {}
        frames: list[tuple[str, Path, Path, Path | None]] = []
        for stem in sorted(set(rgb_files) | set(depth_files)):
            problem = self._pairing_problem(stem, rgb_files, depth_files, lr_files, lr_dir)
            if problem is not None:
                path, message = problem
                if self.on_error == "raise":
                    raise DataError(f"{path}: {message} (set on_error='skip' to skip such files)")
                self.skipped.append((path, message))
                continue
            lr_path = lr_files[stem][0] if lr_dir is not None else None
            frames.append((stem, rgb_files[stem][0], depth_files[stem][0], lr_path))
        groups = [group_for_stem(stem, group_by, self.name) for stem, *_ in frames]
        if train_stems is not None:
            keep = fixed_split_indices([f[0] for f in frames], split, train_stems)
        else:
            keep = split_indices(groups, split, val_fraction)
        self._frames = [frames[i] for i in keep]
        self._groups = [groups[i] for i in keep]
        if not frames:
            raise DataError(
                f"{self.root}: no usable RGB-D pair ({len(self.skipped)} "
                f"skipped); expected {rgb_subdir}/<stem>.png|jpg and "
                f"{depth_subdir}/<stem>.png|npy|tiff"
            )

    @staticmethod
    def _pairing_problem(
        stem: str,
        rgb_files: dict[str, list[Path]],
        depth_files: dict[str, list[Path]],
        lr_files: dict[str, list[Path]],
        lr_dir: Path | None,
    ) -> tuple[Path, str] | None:
        """Return ``(path, problem)`` if ``stem`` cannot be paired unambiguously, else ``None``."""
        for files, kind in ((rgb_files, "RGB"), (depth_files, "depth"), (lr_files, "LR depth")):
            if len(files.get(stem, [])) > 1:
                names = ", ".join(p.name for p in files[stem])
                return files[stem][0], f"ambiguous {kind} files for stem {stem!r}: {names}"
        if stem not in depth_files:
            return rgb_files[stem][0], f"RGB image has no depth partner with stem {stem!r}"
        if stem not in rgb_files:
            return depth_files[stem][0], f"depth map has no RGB partner with stem {stem!r}"
        if lr_dir is not None and stem not in lr_files:
            return depth_files[stem][0], f"no LR depth partner {lr_dir}/{stem}.* for this frame"
        return None

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def names(self) -> list[str]:
        """File stems in order."""
        return [stem for stem, *_ in self._frames]

    @property
    def groups(self) -> list[str]:
        """Split group of each frame, in order."""
        return list(self._groups)

    def paths(self, index: int) -> tuple[Path, Path, Path | None]:
        """``(rgb_path, depth_path, lr_path | None)`` of frame ``index``."""
        _, rgb_path, depth_path, lr_path = self._frames[index]
        return rgb_path, depth_path, lr_path

    def _frame(self, index: int) -> RGBDSample:
        """Load frame ``index`` (files are read on every call, nothing is cached).

        Raises:
            IndexError: for an index out of range.
            DataError: unreadable file, RGB/depth size mismatch, all-invalid depth.
        """
        stem, rgb_path, depth_path, lr_path = self._frames[index]
        rgb = read_rgb_file(rgb_path)
        depth_hr = read_depth_file(depth_path, self.depth_scale)
        if depth_hr.shape != rgb.shape[:2]:
            raise DataError(
                f"{depth_path}: depth size {depth_hr.shape[1]}x{depth_hr.shape[0]} (WxH) differs "
                f"from its RGB image {rgb_path.name} {rgb.shape[1]}x{rgb.shape[0]}; depth must be "
                "registered to the RGB grid"
            )
        if not np.any(np.isfinite(depth_hr) & (depth_hr > 0)):
            raise DataError(f"{depth_path}: depth map has no valid pixel (all 0/NaN)")
        depth_lr = None
        if lr_path is not None:
            depth_lr = read_depth_file(lr_path, self.depth_scale)
            h, w = depth_lr.shape
            if h > depth_hr.shape[0] or w > depth_hr.shape[1]:
                raise DataError(
                    f"{lr_path}: LR depth {w}x{h} is larger than the HR map "
                    f"{depth_hr.shape[1]}x{depth_hr.shape[0]}"
                )
            if not np.any(np.isfinite(depth_lr) & (depth_lr > 0)):
                raise DataError(f"{lr_path}: LR depth map has no valid pixel (all 0/NaN)")
        return RGBDSample(
            name=stem,
            rgb=rgb,
            depth_hr=depth_hr,
            depth_lr=depth_lr,
            group=self._groups[index],
            metric=self.depth_scale is not None,
        )

    def __repr__(self) -> str:
        return (
            f"RGBDFolder({str(self.root)!r}, depth_scale={self.depth_scale}, "
            f"lr_subdir={self.lr_subdir!r}, frames={len(self)}, skipped={len(self.skipped)})"
        )


@dataclass(frozen=True)
class NamedSet:
    """How to open one set of the shared data folder.

    Attributes:
        subdir: folder below the data root.
        depth_scale: metres per file value, or ``None`` (unit-less).
        lr_subdir: real LR sub-folder, if any.
        group_by: split grouping.
        description: one line for help texts.
    """

    subdir: str
    depth_scale: float | None
    lr_subdir: str | None
    group_by: GroupBy
    description: str


#: the sets of ``../shared/data`` and their units (see its README)
NAMED_SETS: dict[str, NamedSet] = {
    "rgbdd": NamedSet("rgbdd", 0.001, None, "day", "RGB-D-D test split, uint16 mm ToF"),
    "rgbdd_realscene": NamedSet(
        "rgbdd_realscene", 0.001, "lr", "day", "RGB-D-D real scenes, real phone-ToF LR (x2.67)"
    ),
    "middlebury": NamedSet(
        "middlebury", None, None, "stem", "Middlebury 8-bit disparity-like maps (unit-less)"
    ),
    "nyu_v2": NamedSet("nyu_v2", 1.0, None, "stem", "NYU Depth v2 test images, npy metres"),
    "raw_sensor/redwood": NamedSet(
        "raw_sensor/redwood", 0.001, None, "set", "Redwood raw sensor frames, mm with holes"
    ),
    "raw_sensor/tum": NamedSet(
        "raw_sensor/tum", 0.0002, None, "set", "TUM RGB-D frame, value/5000 m with holes"
    ),
}


def open_named_set(
    name: str,
    root: str | Path | None = None,
    *,
    split: Split = "all",
    val_fraction: float = 0.2,
    on_error: OnError = "raise",
) -> RGBDFolder:
    """Open one of the shared sets by name with its unit and layout.

    Args:
        name: ``rgbdd``, ``rgbdd_realscene``, ``middlebury``, ``nyu_v2``, ``raw_sensor/redwood``
            or ``raw_sensor/tum``.
        root: the data root (default ``../shared/data`` next to the repository).
        split: ``train``, ``val`` or ``all``. Sets with a fixed split
            (:data:`~.splits.FIXED_TRAIN_STEMS`, e.g. ``middlebury``) use it: ``val`` is their
            held-out test scenes.
        val_fraction: share of groups in validation (group splits only).
        on_error: see :class:`RGBDFolder`.

    Returns:
        The :class:`RGBDFolder`.

    Raises:
        DataError: unknown set name or missing folder.
    """
    if name not in NAMED_SETS:
        raise DataError(f"unknown named set {name!r}; known sets are {sorted(NAMED_SETS)}")
    spec = NAMED_SETS[name]
    base = Path(root) if root is not None else DEFAULT_DATA_ROOT
    folder = base / spec.subdir
    if not folder.is_dir():
        raise DataError(
            f"{folder}: named set {name!r} not found; pass root= the folder holding the shared "
            "data (see ../shared/data/README.md)"
        )
    return RGBDFolder(
        folder,
        depth_scale=spec.depth_scale,
        lr_subdir=spec.lr_subdir,
        on_error=on_error,
        group_by=spec.group_by,
        split=split,
        val_fraction=val_fraction,
        name=name,
        train_stems=FIXED_TRAIN_STEMS.get(name),
    )
