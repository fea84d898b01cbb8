# SPDX-License-Identifier: Apache-2.0
"""Torch datasets for depth super-resolution training and validation.

Every sample is a dict of tensors (the contract of ``docs/development.md``):

* ``rgb`` ``(3, h, w)`` float32 in 0..1;
* ``depth_lr_up_norm`` ``(1, h, w)``: the LR depth, bicubic-upsampled to the crop grid,
  normalized by the LR map's valid range;
* ``depth_hr_norm`` ``(1, h, w)``: the target, normalized with the same LR range, 0 where invalid;
* ``mask_valid`` ``(1, h, w)`` float 0/1: valid target pixels (losses and metrics use only these);
* ``depth_range`` ``(2,)`` ``(lo, hi)`` of the LR map (metres, or raw units for unit-less sets);
* ``scale`` ``()``: the scale factor of this sample (HR size / LR size).

How a training sample is made: pick a source by weight, a frame uniformly, a scale uniformly from
``scale_range`` (non-integer included), a random crop of ``crop_hw`` (multiples of ``stride``),
a random horizontal flip; LR = :func:`~.degradation.bicubic_downsample` of the HR crop (plus
the optional sensor model on metric sources), up to the crop grid with the shared bicubic
``runtime.resize``. Sources with real LR depth (``rgbdd_realscene``'s ``lr/``) use it instead: the
whole LR map is up-sampled to the RGB grid and cropped like the RGB. Normalization uses only the
LR map (the ground truth does not exist at run time). Validation uses a centre crop and every
scale of ``val_scales``, deterministically.

Randomness is ``np.random.default_rng([seed, epoch, index])``, so any worker can build any sample
and a run is reproducible; call :meth:`DepthSRDataset.set_epoch` to get new samples per epoch.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal, Mapping, Protocol, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.data.degradation import (
    SensorModelConfig,
    apply_sensor_model,
    bicubic_downsample,
    upsample_depth,
)
from bridgenet_ros.data.folders import RGBDFolder, RGBDSample, open_named_set
from bridgenet_ros.data.synthetic import SyntheticScenes
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.runtime.normalize import (
    depth_range,
    lr_input_mask,
    normalize_depth,
    valid_mask,
)

__all__ = [
    "DataConfig",
    "DepthSRDataset",
    "FrameSource",
    "SourceConfig",
    "SyntheticSource",
    "build_dataset",
    "build_sources",
    "draw_scale",
    "make_sample",
]

SourceKind = Literal["synthetic", "folder", "named", "rosbag", "nyu_mat"]
SplitName = Literal["train", "val"]

_LOG = logging.getLogger(__name__)

#: offset added to the synthetic seed for validation frames (disjoint from training seeds)
SYNTHETIC_VAL_SEED_OFFSET = 2**31


@dataclass(frozen=True)
class SourceConfig:
    """One data source of a mix.

    Attributes:
        kind: ``synthetic``, ``folder`` (folder format), ``named`` (a set of the shared data),
            ``rosbag`` (a rosbag2 recording) or ``nyu_mat`` (NYU v2 labelled ``.mat``).
        weight: relative sampling weight in training (> 0).
        path: folder, bag or ``.mat`` path; for ``named`` the set name (e.g. ``rgbdd``).
        depth_scale: metres per depth-file value, a unit name, or ``None`` (folder only).
        lr_subdir: real LR sub-folder (folder only).
        use_real_lr: use real LR depth when the source has it (else bicubic from HR).
        group_by: split grouping for folders (``day``, ``stem``, ``set``).
        seed: synthetic seed.
        height: synthetic render height (pixels).
        width: synthetic render width (pixels).
        length: number of synthetic frames (training); validation uses ``val_frames``.
        val_frames: number of synthetic validation frames.
        rgb_topic: rosbag RGB topic.
        depth_topic: rosbag HR depth topic.
        max_dt_s: rosbag pairing tolerance in seconds.
    """

    kind: SourceKind
    weight: float = 1.0
    path: str | None = None
    depth_scale: float | str | None = 0.001
    lr_subdir: str | None = None
    use_real_lr: bool = True
    group_by: Literal["day", "stem", "set"] = "day"
    seed: int = 0
    height: int = 240
    width: int = 320
    length: int = 100_000
    val_frames: int = 32
    rgb_topic: str = "/camera/color/image_raw"
    depth_topic: str = "/camera/depth/image_raw"
    max_dt_s: float = 0.02

    def __post_init__(self) -> None:
        if self.kind not in ("synthetic", "folder", "named", "rosbag", "nyu_mat"):
            raise ConfigError(
                f"SourceConfig.kind must be synthetic, folder, named, rosbag or nyu_mat, "
                f"got {self.kind!r}"
            )
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ConfigError(f"SourceConfig.weight must be > 0, got {self.weight}")
        if self.kind != "synthetic" and not self.path:
            raise ConfigError(f"SourceConfig.path is required for kind {self.kind!r}")
        if self.height < 16 or self.width < 16:
            raise ConfigError(
                f"SourceConfig.height/width must be >= 16, got {self.height}x{self.width}"
            )
        if self.length < 1 or self.val_frames < 1:
            raise ConfigError("SourceConfig.length and val_frames must be >= 1")
        if self.max_dt_s <= 0:
            raise ConfigError(f"SourceConfig.max_dt_s must be > 0, got {self.max_dt_s}")


def _default_sources() -> tuple[SourceConfig, ...]:
    return (SourceConfig(kind="synthetic"),)


@dataclass(frozen=True)
class DataConfig:
    """Training/validation data settings (the ``data:`` section of a config file).

    Attributes:
        sources: the mix; mappings are converted with :func:`from_mapping`.
        crop_hw: training/validation crop ``(h, w)``, multiples of ``stride``.
        stride: the model stride the crop must be a multiple of.
        scale_range: ``(min, max)`` scale factor, drawn per training sample.
        scale_sampling: ``uniform`` in ``scale_range``, or ``log_uniform`` (uniform in
            ``log(scale)``: as many samples in ×2–×4 as in ×4–×8 and ×8–×16).
        val_scales: fixed scales of the validation set (each frame at each scale).
        flip: random horizontal flips in training.
        samples_per_epoch: length of the training dataset (samples are drawn, not enumerated).
        val_fraction: share of groups (e.g. RGB-D-D capture days) held out for validation.
        sensor_model: optional sensor model applied to the LR map of metric sources.
        sensor_model_prob: probability of applying it to a training sample.
        on_error: ``raise`` or ``skip`` for bad files (skips are counted, another frame is
            drawn); validation always raises.
        seed: base seed of the sample randomness.
        data_root: root of the shared data for ``named`` sources (default ``../shared/data``).
    """

    sources: tuple[SourceConfig, ...] = field(default_factory=_default_sources)
    crop_hw: tuple[int, int] = (128, 128)
    stride: int = 16
    scale_range: tuple[float, float] = (2.0, 16.0)
    scale_sampling: Literal["uniform", "log_uniform"] = "uniform"
    val_scales: tuple[float, ...] = (4.0, 8.0, 16.0)
    flip: bool = True
    samples_per_epoch: int = 2000
    val_fraction: float = 0.2
    sensor_model: SensorModelConfig | None = None
    sensor_model_prob: float = 0.5
    on_error: Literal["raise", "skip"] = "raise"
    seed: int = 0
    data_root: str | None = None

    def __post_init__(self) -> None:
        sources = []
        for i, source in enumerate(self.sources):
            if isinstance(source, Mapping):
                source = from_mapping(SourceConfig, source, where=f"DataConfig.sources[{i}]")
            if not isinstance(source, SourceConfig):
                raise ConfigError(f"DataConfig.sources[{i}] must be a mapping, got {source!r}")
            sources.append(source)
        if not sources:
            raise ConfigError("DataConfig.sources is empty; add at least one source")
        object.__setattr__(self, "sources", tuple(sources))
        if isinstance(self.sensor_model, Mapping):
            object.__setattr__(
                self,
                "sensor_model",
                from_mapping(
                    SensorModelConfig, self.sensor_model, where="DataConfig.sensor_model"
                ),
            )
        object.__setattr__(self, "crop_hw", tuple(int(v) for v in self.crop_hw))
        if self.stride < 1:
            raise ConfigError(f"DataConfig.stride must be >= 1, got {self.stride}")
        if len(self.crop_hw) != 2 or any(v <= 0 or v % self.stride for v in self.crop_hw):
            raise ConfigError(
                f"DataConfig.crop_hw must be two positive multiples of stride={self.stride}, "
                f"got {self.crop_hw}"
            )
        lo, hi = self.scale_range
        if not (1.0 <= lo <= hi):
            raise ConfigError(f"DataConfig.scale_range must satisfy 1 <= min <= max, got {lo, hi}")
        if self.scale_sampling not in ("uniform", "log_uniform"):
            raise ConfigError(
                "DataConfig.scale_sampling must be uniform or log_uniform, got "
                f"{self.scale_sampling!r}"
            )
        if not self.val_scales or any(s < 1.0 for s in self.val_scales):
            raise ConfigError(f"DataConfig.val_scales must be >= 1, got {self.val_scales}")
        if self.samples_per_epoch < 1:
            raise ConfigError(
                f"DataConfig.samples_per_epoch must be >= 1, got {self.samples_per_epoch}"
            )
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(
                f"DataConfig.val_fraction must be in [0, 1), got {self.val_fraction}"
            )
        if not 0.0 <= self.sensor_model_prob <= 1.0:
            raise ConfigError(
                f"DataConfig.sensor_model_prob must be in [0, 1], got {self.sensor_model_prob}"
            )
        if self.on_error not in ("raise", "skip"):
            raise ConfigError(f"DataConfig.on_error must be raise or skip, got {self.on_error!r}")
        for i, source in enumerate(self.sources):
            if source.kind == "synthetic" and (
                source.height < self.crop_hw[0] or source.width < self.crop_hw[1]
            ):
                raise ConfigError(
                    f"DataConfig.sources[{i}]: synthetic frames {source.width}x{source.height} "
                    f"are smaller than crop_hw {self.crop_hw}"
                )


class FrameSource(Protocol):
    """Anything indexable that yields :class:`RGBDSample` frames."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> RGBDSample: ...


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


def build_sources(config: DataConfig, split: SplitName) -> list[tuple[FrameSource, SourceConfig]]:
    """Open every source of ``config`` for ``split``.

    A source without a frame in ``split`` (e.g. a set recorded on a single day has no
    validation group) is left out of that split and logged; all sources empty is an error.

    Returns:
        ``(source, its config)`` pairs, in config order.

    Raises:
        DataError: a source cannot be opened (missing folder/bag), or no source has a frame.
    """
    sources: list[FrameSource] = []
    for spec in config.sources:
        if spec.kind == "synthetic":
            if split == "train":
                scenes = SyntheticScenes(spec.seed, spec.height, spec.width, spec.length)
            else:
                scenes = SyntheticScenes(
                    spec.seed + SYNTHETIC_VAL_SEED_OFFSET,
                    spec.height,
                    spec.width,
                    spec.val_frames,
                )
            sources.append(SyntheticSource(scenes))
        elif spec.kind == "named":
            assert spec.path is not None
            sources.append(
                open_named_set(
                    spec.path,
                    config.data_root,
                    split=split,
                    val_fraction=config.val_fraction,
                    on_error=config.on_error,
                )
            )
        elif spec.kind == "folder":
            assert spec.path is not None
            sources.append(
                RGBDFolder(
                    spec.path,
                    spec.depth_scale,
                    spec.lr_subdir,
                    on_error=config.on_error,
                    group_by=spec.group_by,
                    split=split,
                    val_fraction=config.val_fraction,
                )
            )
        elif spec.kind == "rosbag":
            from bridgenet_ros.data.rosbag_source import RosbagRGBD

            assert spec.path is not None
            sources.append(
                RosbagRGBD(
                    spec.path,
                    spec.rgb_topic,
                    spec.depth_topic,
                    max_dt_s=spec.max_dt_s,
                    split=split,
                    val_fraction=config.val_fraction,
                    on_error=config.on_error,
                )
            )
        else:
            from bridgenet_ros.data.nyu_mat import NYUv2Mat

            assert spec.path is not None
            sources.append(NYUv2Mat(spec.path, split=split, val_fraction=config.val_fraction))
    pairs = []
    for source, spec in zip(sources, config.sources):
        if len(source) == 0:
            _LOG.info("data source %s %s has no %s frame; left out", spec.kind, spec.path, split)
        else:
            pairs.append((source, spec))
    if not pairs:
        raise DataError(
            f"no data source has a {split} frame ({[s.path or s.kind for s in config.sources]})"
        )
    return pairs


def draw_scale(rng: np.random.Generator, scale_range: tuple[float, float], sampling: str) -> float:
    """One training scale factor from ``scale_range`` (``uniform`` or ``log_uniform``)."""
    lo, hi = scale_range
    if sampling == "log_uniform":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return float(rng.uniform(lo, hi))


def _crop_origin(size: int, crop: int, rng: np.random.Generator | None, where: str) -> int:
    """Top/left of a crop: random in training (``rng``), centred in validation."""
    if size < crop:
        raise DataError(
            f"{where}: frame side {size} px is smaller than the crop {crop} px; "
            "reduce DataConfig.crop_hw"
        )
    if rng is None:
        return (size - crop) // 2
    return int(rng.integers(0, size - crop + 1))


def make_sample(
    frame: RGBDSample,
    scale: float,
    crop_hw: tuple[int, int],
    rng: np.random.Generator | None,
    *,
    flip: bool = False,
    use_real_lr: bool = True,
    sensor_model: SensorModelConfig | None = None,
) -> dict[str, np.ndarray]:
    """Build one training/validation pair (numpy) from a frame.

    Args:
        frame: the frame (``depth_hr`` in metres or raw unit-less values).
        scale: down-sampling factor (ignored when the frame's real LR map is used: then the
            sample's scale is ``H / h``).
        crop_hw: crop ``(h, w)``.
        rng: random generator for the crop position and the sensor model; ``None`` = centre
            crop, no sensor model (validation).
        flip: mirror the sample horizontally.
        use_real_lr: use ``frame.depth_lr`` when present.
        sensor_model: degrade the LR map with this model (metric frames only).

    Returns:
        Dict of numpy arrays: ``rgb (3, h, w)`` float32 0..1, ``depth_lr_up_norm (1, h, w)``,
        ``depth_hr_norm (1, h, w)``, ``mask_valid (1, h, w)`` float32 0/1, ``depth_range (2,)``,
        ``scale ()`` float32, plus ``depth_lr (h', w')`` for inspection.

    Raises:
        DataError: crop larger than the frame, or no valid LR/HR pixel in the crop.
    """
    ch, cw = crop_hw
    height, width = frame.depth_hr.shape
    y0 = _crop_origin(height, ch, rng, frame.name)
    x0 = _crop_origin(width, cw, rng, frame.name)
    window = (slice(y0, y0 + ch), slice(x0, x0 + cw))
    rgb = frame.rgb[window]
    depth_hr = frame.depth_hr[window]
    mask = valid_mask(depth_hr)
    if not mask.any():
        raise DataError(f"{frame.name}: crop at ({y0}, {x0}) has no valid ground-truth pixel")
    if frame.depth_lr is not None and use_real_lr:
        lr_h, lr_w = frame.depth_lr.shape
        sy, sx = lr_h / height, lr_w / width
        scale = height / lr_h
        depth_lr = frame.depth_lr[
            int(math.floor(y0 * sy)) : int(math.ceil((y0 + ch) * sy)),
            int(math.floor(x0 * sx)) : int(math.ceil((x0 + cw) * sx)),
        ]
        if not valid_mask(depth_lr).any():
            raise DataError(f"{frame.name}: LR crop has no valid pixel")
        depth_lr_up = upsample_depth(frame.depth_lr, (height, width))[window]
    else:
        try:
            depth_lr = bicubic_downsample(depth_hr, scale)
        except DataError as err:
            raise DataError(f"{frame.name}: {err}") from err
        if sensor_model is not None and rng is not None and frame.metric:
            depth_lr = apply_sensor_model(depth_lr, rng, sensor_model, rgb)
        if not valid_mask(depth_lr).any():
            raise DataError(f"{frame.name}: LR crop has no valid pixel after degradation")
        depth_lr_up = upsample_depth(depth_lr, (ch, cw))
    rng_norm = depth_range(depth_lr, lr_input_mask(depth_lr).mask)
    depth_lr_up_norm = normalize_depth(depth_lr_up, rng_norm)
    depth_hr_norm = np.where(mask, normalize_depth(np.where(mask, depth_hr, 0.0), rng_norm), 0.0)
    rgb_f = rgb.astype(np.float32).transpose(2, 0, 1) / np.float32(255.0)
    arrays = {
        "rgb": rgb_f,
        "depth_lr_up_norm": depth_lr_up_norm[None],
        "depth_hr_norm": depth_hr_norm.astype(np.float32)[None],
        "mask_valid": mask.astype(np.float32)[None],
    }
    if flip:
        arrays = {k: v[:, :, ::-1] for k, v in arrays.items()}
    out = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    out["depth_range"] = np.array([rng_norm.lo, rng_norm.hi], dtype=np.float32)
    out["scale"] = np.array(scale, dtype=np.float32)
    out["depth_lr"] = np.asarray(depth_lr, dtype=np.float32)
    return out


class DepthSRDataset(Dataset[dict[str, torch.Tensor]]):
    """A map-style torch dataset mixing frame sources (see the module docstring).

    Args:
        sources: ``(frame source, its SourceConfig)`` pairs (see :func:`build_sources`).
        config: data settings.
        split: ``train`` (random, ``samples_per_epoch`` long, mixed by weight) or ``val``
            (every frame of every source at every ``val_scales``, centre crops).

    Attributes:
        skipped: ``(frame, problem)`` of frames skipped with ``on_error="skip"`` (counted per
            process: DataLoader workers keep their own counts).
        resampled: number of training crops redrawn (no valid pixel in the crop).
    """

    def __init__(
        self,
        sources: Sequence[tuple[FrameSource, SourceConfig]],
        config: DataConfig,
        split: SplitName = "train",
    ) -> None:
        if not sources:
            raise ConfigError("DepthSRDataset needs at least one source")
        if any(len(source) == 0 for source, _ in sources):
            raise DataError("DepthSRDataset: a source has no frame; leave it out")
        self.sources = [source for source, _ in sources]
        self.config = config
        self.split = split
        probs = np.asarray([spec.weight for _, spec in sources], dtype=np.float64)
        self.probabilities = probs / probs.sum()
        self.use_real_lr = [spec.use_real_lr for _, spec in sources]
        self.epoch = 0
        self.skipped: list[tuple[str, str]] = []
        self.resampled = 0
        self._val_items: list[tuple[int, int, float]] = []
        if split == "val":
            self._val_items = [
                (s, f, float(scale))
                for s, source in enumerate(self.sources)
                for f in range(len(source))
                for scale in config.val_scales
            ]

    def set_epoch(self, epoch: int) -> None:
        """Draw a new set of training samples (same epoch -> same samples)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        if self.split == "val":
            return len(self._val_items)
        return self.config.samples_per_epoch

    def sample_arrays(self, index: int) -> dict[str, np.ndarray]:
        """The numpy version of ``self[index]`` (also carries ``depth_lr``)."""
        if not 0 <= index < len(self):
            raise IndexError(f"sample index {index} out of range 0..{len(self) - 1}")
        cfg = self.config
        if self.split == "val":
            s, f, scale = self._val_items[index]
            return make_sample(
                self.sources[s][f], scale, cfg.crop_hw, None, use_real_lr=self.use_real_lr[s]
            )
        rng = np.random.default_rng([cfg.seed, self.epoch, index])
        last_error: DataError | None = None
        for _ in range(20):
            s = int(rng.choice(len(self.sources), p=self.probabilities))
            f = int(rng.integers(0, len(self.sources[s])))
            scale = draw_scale(rng, cfg.scale_range, cfg.scale_sampling)
            flip = cfg.flip and bool(rng.random() < 0.5)
            sensor = cfg.sensor_model if rng.random() < cfg.sensor_model_prob else None
            try:
                frame = self.sources[s][f]
            except DataError as err:
                if cfg.on_error == "raise":
                    raise
                self.skipped.append((f"source {s} frame {f}", str(err)))
                last_error = err
                continue
            try:
                return make_sample(
                    frame,
                    scale,
                    cfg.crop_hw,
                    rng,
                    flip=flip,
                    use_real_lr=self.use_real_lr[s],
                    sensor_model=sensor,
                )
            except DataError as err:
                if "smaller than the crop" in str(err):
                    raise
                self.resampled += 1
                last_error = err
        raise DataError(
            f"could not build training sample {index} in 20 draws; last problem: {last_error}"
        )

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Sample ``index`` as a dict of tensors (see the module docstring for keys/shapes)."""
        arrays = self.sample_arrays(index)
        arrays.pop("depth_lr")
        return {k: torch.from_numpy(v) for k, v in arrays.items()}


def build_dataset(config: DataConfig, split: SplitName = "train") -> DepthSRDataset:
    """Open the sources of ``config`` and return the mixed dataset for ``split``.

    Args:
        config: data settings.
        split: ``train`` or ``val``.

    Returns:
        A :class:`DepthSRDataset` (a torch map-style dataset).

    Raises:
        ConfigError: for an unknown split.
        DataError: when a source cannot be opened.
    """
    if split not in ("train", "val"):
        raise ConfigError(f"split must be 'train' or 'val', got {split!r}")
    return DepthSRDataset(build_sources(config, split), config, split)
