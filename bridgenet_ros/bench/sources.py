# SPDX-License-Identifier: Apache-2.0
"""Frame sources for ``make-bag``: procedural scenes, folder-format sets and the named sets.

Low-resolution depth is the set's real LR map (``--lr-dir`` or a named set that has one) or the
literature's bicubic down-sampling of the ground truth by ``--scale``
(:func:`bridgenet_ros.data.degradation.bicubic_downsample`), optionally degraded further by the
sensor model (noise, quantization, holes). Folder sets carry no intrinsics; their frames get the
reference camera of the synthetic scenes (fx = fy = 525 at 640x480) scaled to their size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from bridgenet_ros.bench.bag_writer import BagFrame
from bridgenet_ros.errors import ConfigError

if TYPE_CHECKING:
    from bridgenet_ros.data.folders import RGBDFolder

__all__ = ["FrameSource", "open_frame_source"]


@dataclass
class FrameSource:
    """Frames to record and what they are.

    Attributes:
        frames: the frames, lazily produced.
        count: how many there will be.
        metric: depth is in metres (``False``: unit-less set, recorded as raw ``32FC1``).
        description: one line for logs.
    """

    frames: Iterator[BagFrame]
    count: int
    metric: bool
    description: str


def open_frame_source(
    data: str,
    *,
    scale: float | None = None,
    lr_dir: str | None = None,
    limit: int | None = None,
    depth_scale: float | None = None,
    height: int = 480,
    width: int = 640,
    noise: bool = False,
    seed: int = 0,
) -> FrameSource:
    """Open ``data`` (``synthetic``, a named set, or a folder) as a stream of :class:`BagFrame`.

    Args:
        data: ``synthetic``, a name known to ``open_named_set`` (``rgbdd``, ``nyu_v2``, ...) or a
            folder-format directory.
        scale: down-sampling factor of the ground truth to the LR depth (default 4 where the set
            has no real LR).
        lr_dir: sub-folder of real LR depth (folder sets only); excludes ``scale``.
        limit: at most this many frames.
        depth_scale: metres per depth-file value for a folder set (default 0.001, mm PNG).
        height: synthetic frame height.
        width: synthetic frame width.
        noise: apply the sensor model (noise, quantization, holes) to the LR depth.
        seed: seed of the synthetic scenes and of the sensor noise.

    Returns:
        A :class:`FrameSource`.

    Raises:
        ConfigError: conflicting or out-of-range options.
        DataError: unreadable or missing data.
    """
    _check_options(scale, lr_dir, limit)
    degrade = _Degrader(noise, np.random.default_rng(seed + 1))
    if data == "synthetic":
        if lr_dir is not None:
            raise ConfigError("--lr-dir applies to folder sets; synthetic scenes use --scale")
        return _synthetic_source(scale, limit, height, width, seed, degrade)
    folder = _open_folder(data, lr_dir, depth_scale)
    return _folder_source(folder, scale, limit, degrade)


def _check_options(scale: float | None, lr_dir: str | None, limit: int | None) -> None:
    """Reject conflicting or out-of-range options (``ConfigError``)."""
    if scale is not None and lr_dir is not None:
        raise ConfigError("give either --scale or --lr-dir, not both")
    if scale is not None and not scale >= 1.0:
        raise ConfigError(f"--scale must be >= 1, got {scale}")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit}")


class _Degrader:
    """Applies the sensor model to LR depth when ``noise`` is on (one generator for all)."""

    def __init__(self, noise: bool, rng: np.random.Generator) -> None:
        self.noise = noise
        self.rng = rng

    def __call__(self, depth_lr: np.ndarray, rgb: np.ndarray, metric: bool) -> np.ndarray:
        if not self.noise:
            return depth_lr
        if not metric:
            raise ConfigError("--noise needs metric depth; the set is unit-less")
        from bridgenet_ros.data.degradation import apply_sensor_model

        return apply_sensor_model(depth_lr, self.rng, rgb=rgb)


def _synthetic_source(
    scale: float | None,
    limit: int | None,
    height: int,
    width: int,
    seed: int,
    degrade: _Degrader,
) -> FrameSource:
    """Procedural scenes, LR by bicubic down-sampling (default x4, 60 frames)."""
    from bridgenet_ros.data.degradation import bicubic_downsample
    from bridgenet_ros.data.synthetic import SyntheticScenes

    count = limit if limit is not None else 60
    factor = scale if scale is not None else 4.0
    scenes = SyntheticScenes(seed=seed, height=height, width=width, length=count)

    def synthetic() -> Iterator[BagFrame]:
        for i in range(count):
            frame = scenes[i]
            lr = degrade(bicubic_downsample(frame.depth, factor), frame.rgb, True)
            yield BagFrame(frame.rgb, lr, frame.depth, frame.K)

    return FrameSource(
        synthetic(),
        count,
        True,
        f"synthetic scenes {width}x{height}, seed {seed}, x{factor:g}",
    )


def _open_folder(data: str, lr_dir: str | None, depth_scale: float | None) -> RGBDFolder:
    """A named set or a folder-format directory as an ``RGBDFolder``.

    Raises:
        ConfigError: options a named set fixes itself, or ``data`` is not a folder.
    """
    from bridgenet_ros.data.folders import NAMED_SETS, RGBDFolder, open_named_set

    if data in NAMED_SETS:
        if lr_dir is not None:
            raise ConfigError(f"named set {data!r} fixes its LR folder; drop --lr-dir")
        if depth_scale is not None:
            raise ConfigError(f"named set {data!r} fixes its unit; drop --depth-scale")
        return open_named_set(data)
    if not Path(data).is_dir():
        raise ConfigError(
            f"--data {data!r} is neither 'synthetic', a named set ({sorted(NAMED_SETS)}) "
            "nor a folder"
        )
    return RGBDFolder(
        data, depth_scale=depth_scale if depth_scale is not None else 0.001, lr_subdir=lr_dir
    )


def _folder_source(
    folder: RGBDFolder, scale: float | None, limit: int | None, degrade: _Degrader
) -> FrameSource:
    """Frames of a folder set: its real LR (when it has one and no ``scale``) or bicubic LR."""
    use_real_lr = folder.lr_subdir is not None and scale is None
    factor = scale if scale is not None else 4.0
    count = len(folder) if limit is None else min(limit, len(folder))
    metric = folder.depth_scale is not None

    def folder_frames() -> Iterator[BagFrame]:
        from bridgenet_ros.data.degradation import bicubic_downsample
        from bridgenet_ros.data.synthetic import scaled_intrinsics

        for i in range(count):
            sample = folder[i]
            if use_real_lr and sample.depth_lr is not None:
                lr = sample.depth_lr
            else:
                lr = bicubic_downsample(sample.depth_hr, factor)
            lr = degrade(lr, sample.rgb, metric)
            h, w = sample.rgb.shape[:2]
            yield BagFrame(sample.rgb, lr, sample.depth_hr, scaled_intrinsics(h, w))

    how = "real LR" if use_real_lr else f"bicubic x{factor:g}"
    return FrameSource(folder_frames(), count, metric, f"{folder.name} ({count} frames, {how})")
