# SPDX-License-Identifier: Apache-2.0
"""Open the sources of a :class:`~.config.DataConfig` (the name -> reader table; no torch).

A frame source is anything indexable that yields :class:`~.folders.RGBDSample` frames
(:class:`FrameSource`); a ``shards`` source is a :class:`~.shards.ShardSet` of finished samples.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Protocol, Union

from bridgenet_ros.data.config import DataConfig, SourceConfig, SplitName
from bridgenet_ros.data.folders import RGBDFolder, RGBDSample, open_named_set
from bridgenet_ros.data.shards import ShardSet
from bridgenet_ros.data.synthetic import PhotoTextures, SyntheticScenes
from bridgenet_ros.errors import DataError

__all__ = [
    "SYNTHETIC_VAL_SEED_OFFSET",
    "AnySource",
    "FrameSource",
    "SyntheticSource",
    "build_sources",
    "open_source",
    "training_photos",
]

_LOG = logging.getLogger(__name__)

#: offset added to the synthetic seed for validation frames (disjoint from training seeds)
SYNTHETIC_VAL_SEED_OFFSET = 2**31

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class FrameSource(Protocol):
    """Anything indexable that yields :class:`RGBDSample` frames."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> RGBDSample: ...


#: a frame source, or pre-built samples
AnySource = Union[FrameSource, ShardSet]


class SyntheticSource:
    """:class:`SyntheticScenes` as a :class:`FrameSource` (metric, no real LR)."""

    def __init__(self, scenes: SyntheticScenes) -> None:
        self.scenes = scenes

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, index: int) -> RGBDSample:
        frame = self.scenes[index]
        return RGBDSample(
            name=f"synthetic-{self.scenes.seed}-{index}",
            rgb=frame.rgb,
            depth_hr=frame.depth,
            depth_lr=None,
            group=str(index),
            metric=True,
        )


def training_photos(names: tuple[str, ...], config: DataConfig) -> list[Path]:
    """RGB files of the **training split** of each named set / folder in ``names``.

    A named set (``rgbdd``, ``middlebury``...) or an RGB-D folder (``rgb/`` + ``depth/``) gives
    the RGB images of its ``train`` split; any other directory gives every image in it (a plain
    photo folder has no split: put only training photos there).

    Raises:
        DataError: a name that is neither a named set nor a directory, or no photo found.
    """
    from bridgenet_ros.data.folders import NAMED_SETS

    paths: list[Path] = []
    for name in names:
        if name in NAMED_SETS:
            folder = open_named_set(
                name, config.data_root, split="train", val_fraction=config.val_fraction
            )
            paths += [folder.paths(i)[0] for i in range(len(folder))]
        elif (Path(name) / "rgb").is_dir() and (Path(name) / "depth").is_dir():
            folder = RGBDFolder(name, split="train", val_fraction=config.val_fraction)
            paths += [folder.paths(i)[0] for i in range(len(folder))]
        elif Path(name).is_dir():
            paths += sorted(p for p in Path(name).iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        else:
            raise DataError(
                f"texture_photos: {name!r} is neither a named set nor a directory of photos"
            )
    if not paths:
        raise DataError(f"texture_photos {list(names)}: no photo found")
    return paths


def _synthetic(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    photos = None
    if spec.texture_photos:
        photos = PhotoTextures(training_photos(spec.texture_photos, config))
    if split == "train":
        seed, length = spec.seed, spec.length
    else:
        seed, length = spec.seed + SYNTHETIC_VAL_SEED_OFFSET, spec.val_frames
    scenes = SyntheticScenes(
        seed,
        spec.height,
        spec.width,
        length,
        photos=photos,
        photo_texture_prob=spec.photo_texture_prob,
    )
    return SyntheticSource(scenes)


def _named(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    assert spec.path is not None
    return open_named_set(
        spec.path,
        config.data_root,
        split=split,
        val_fraction=config.val_fraction,
        on_error=config.on_error,
    )


def _folder(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    assert spec.path is not None
    return RGBDFolder(
        spec.path,
        spec.depth_scale,
        spec.lr_subdir,
        on_error=config.on_error,
        group_by=spec.group_by,
        split=split,
        val_fraction=config.val_fraction,
    )


def _rosbag(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    from bridgenet_ros.data.rosbag_source import RosbagRGBD

    assert spec.path is not None
    return RosbagRGBD(
        spec.path,
        spec.rgb_topic,
        spec.depth_topic,
        max_dt_s=spec.max_dt_s,
        split=split,
        val_fraction=config.val_fraction,
        on_error=config.on_error,
    )


def _nyu_mat(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    from bridgenet_ros.data.nyu_mat import NYUv2Mat

    assert spec.path is not None
    return NYUv2Mat(spec.path, split=split, val_fraction=config.val_fraction)


def _shards(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    assert spec.path is not None
    shards = ShardSet(spec.path)
    if shards.crop_hw != config.crop_hw:
        raise DataError(
            f"{spec.path}: shards hold {shards.crop_hw} crops but DataConfig.crop_hw is "
            f"{config.crop_hw}; rebuild them (bridgenet data build-shards) or change crop_hw"
        )
    return shards if split == "train" else _EmptySource()


class _EmptySource:
    """No frame (shards are training samples: a split without frames is left out)."""

    def __len__(self) -> int:
        return 0

    def __getitem__(self, index: int) -> RGBDSample:
        raise IndexError(index)


#: source kind -> opener
_OPENERS: dict[str, Callable[[SourceConfig, DataConfig, SplitName], AnySource]] = {
    "synthetic": _synthetic,
    "named": _named,
    "folder": _folder,
    "rosbag": _rosbag,
    "nyu_mat": _nyu_mat,
    "shards": _shards,
}


def open_source(spec: SourceConfig, config: DataConfig, split: SplitName) -> AnySource:
    """Open one source for ``split`` (registered to the RGB when asked: training split only).

    Raises:
        DataError: missing folder/bag/shards, no photo for ``texture_photos``.
    """
    source = _OPENERS[spec.kind](spec, config, split)
    if spec.register_to_rgb and split == "train":
        from bridgenet_ros.data.registration import RegisteredSource

        return RegisteredSource(source, spec.register_max_shift_px, spec.register_min_gain)
    return source


def build_sources(config: DataConfig, split: SplitName) -> list[tuple[AnySource, SourceConfig]]:
    """Open every source of ``config`` for ``split``.

    A source without a frame in ``split`` (e.g. a set recorded on a single day has no
    validation group, shards have no validation samples) is left out of that split and logged;
    all sources empty is an error.

    Returns:
        ``(source, its config)`` pairs, in config order.

    Raises:
        DataError: a source cannot be opened (missing folder/bag), or no source has a frame.
    """
    pairs = []
    for spec in config.sources:
        source = open_source(spec, config, split)
        if len(source) == 0:
            _LOG.info("data source %s %s has no %s frame; left out", spec.kind, spec.path, split)
        else:
            pairs.append((source, spec))
    if not pairs:
        raise DataError(
            f"no data source has a {split} frame ({[s.path or s.kind for s in config.sources]})"
        )
    return pairs
