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

How a training sample is made: pick a source by weight, a frame uniformly, a scale from
``scale_range``, whether (and which) sensor model, a random horizontal flip, then
:func:`~.sampling.make_sample` (crop, LR, up-sampling, normalization by the LR map's range).
A ``shards`` source holds finished samples: alone in the mix, sample ``(epoch, i)`` is its
sample ``epoch * samples_per_epoch + i`` (modulo its size), which is the sample the on-the-fly
mix it was built from gives for that epoch and index; mixed with others, a random one.
Validation uses a centre crop and every scale of ``val_scales``, deterministically.

Randomness is ``np.random.default_rng([seed, epoch, index])``, so any worker can build any sample
and a run is reproducible; call :meth:`DepthSRDataset.set_epoch` to get new samples per epoch.

The configuration (:mod:`.config`), the source table (:mod:`.sources`) and the per-sample steps
(:mod:`.sampling`) live in torch-free modules; their names are re-exported here.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from bridgenet_ros.data.config import DataConfig, SourceConfig, SplitName
from bridgenet_ros.data.sampling import draw_scale, draw_sensor_model, make_sample
from bridgenet_ros.data.shards import ShardSet
from bridgenet_ros.data.sources import (
    SYNTHETIC_VAL_SEED_OFFSET,
    AnySource,
    FrameSource,
    SyntheticSource,
    build_sources,
)
from bridgenet_ros.errors import ConfigError, DataError

__all__ = [
    "SYNTHETIC_VAL_SEED_OFFSET",
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

#: draws before a training sample gives up (crops without a valid pixel are redrawn)
MAX_DRAWS = 20


class DepthSRDataset(Dataset[dict[str, torch.Tensor]]):
    """A map-style torch dataset mixing sources (see the module docstring).

    Args:
        sources: ``(source, its SourceConfig)`` pairs (see :func:`build_sources`).
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
        sources: Sequence[tuple[AnySource, SourceConfig]],
        config: DataConfig,
        split: SplitName = "train",
    ) -> None:
        if not sources:
            raise ConfigError("DepthSRDataset needs at least one source")
        if any(len(source) == 0 for source, _ in sources):
            raise DataError("DepthSRDataset: a source has no frame; leave it out")
        if split == "val" and any(isinstance(s, ShardSet) for s, _ in sources):
            raise ConfigError("shards hold training samples; they cannot be a validation source")
        self.sources = [source for source, _ in sources]
        self.config = config
        self.split = split
        probs = np.asarray([spec.weight for _, spec in sources], dtype=np.float64)
        self.probabilities = probs / probs.sum()
        self.use_real_lr = [spec.use_real_lr for _, spec in sources]
        self.sensor_models, self.sensor_probabilities = config.sensor_mix
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
            source = self.sources[s]
            assert not isinstance(source, ShardSet)
            return make_sample(
                source[f], scale, cfg.crop_hw, None, use_real_lr=self.use_real_lr[s]
            )
        only = self.sources[0]
        if len(self.sources) == 1 and isinstance(only, ShardSet):
            sample = only.sample((self.epoch * cfg.samples_per_epoch + index) % len(only))
        else:
            sample = self._draw_training_sample(index)
        if cfg.rgb_dropout_prob > 0.0:
            drop_guidance(sample, np.random.default_rng([cfg.seed, self.epoch, index, 1]), cfg)
        return sample

    def _draw_training_sample(self, index: int) -> dict[str, np.ndarray]:
        """Draw source, frame, scale, flip and sensor model; redraw crops without valid pixels."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, self.epoch, index])
        last_error: DataError | None = None
        for _ in range(MAX_DRAWS):
            s = int(rng.choice(len(self.sources), p=self.probabilities))
            source = self.sources[s]
            if isinstance(source, ShardSet):
                return source.sample(int(rng.integers(0, len(source))))
            f = int(rng.integers(0, len(source)))
            scale = draw_scale(rng, cfg.scale_range, cfg.scale_sampling)
            flip = cfg.flip and bool(rng.random() < 0.5)
            sensor = draw_sensor_model(
                rng, self.sensor_models, self.sensor_probabilities, cfg.sensor_model_prob
            )
            try:
                frame = source[f]
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
            f"could not build training sample {index} in {MAX_DRAWS} draws; last problem: "
            f"{last_error}"
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


def drop_guidance(
    sample: dict[str, np.ndarray], rng: np.random.Generator, cfg: DataConfig
) -> bool:
    """Guidance dropout: with ``cfg.rgb_dropout_prob``, flatten ``sample["rgb"]`` in place.

    The ``(3, h, w)`` RGB becomes its per-channel mean, so the sample carries no RGB edge or
    texture. Its own random stream (``rng``) leaves every other draw of the sample unchanged.

    Returns:
        Whether the RGB was flattened.
    """
    if rng.random() >= cfg.rgb_dropout_prob:
        return False
    rgb = sample["rgb"]
    rgb[...] = rgb.mean(axis=(1, 2), keepdims=True)
    return True
