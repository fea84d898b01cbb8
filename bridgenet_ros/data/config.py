# SPDX-License-Identifier: Apache-2.0
"""``DataConfig``: the training/validation data mix, typed and validated at load (no torch).

The ``data:`` section of a training YAML (``config/train_*.yaml``) becomes a :class:`DataConfig`
when the :class:`~bridgenet_ros.train.config.TrainConfig` is loaded, so a misspelt key or a bad
value fails at load with the field's name, not minutes into a run. Nested and typed: every
source is a :class:`SourceConfig`, every sensor model a :class:`SensorModelChoice` holding a
:class:`~.degradation.SensorModelConfig` (ToF), a :class:`~.degradation.StereoSensorConfig` or a
:class:`~.degradation.LidarSensorConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.data.degradation import (
    AnySensorModel,
    LidarSensorConfig,
    SensorModelConfig,
    StereoSensorConfig,
)
from bridgenet_ros.data.registration import DEFAULT_MAX_SHIFT_PX, DEFAULT_MIN_GAIN
from bridgenet_ros.errors import ConfigError

__all__ = [
    "MIN_MODEL_STRIDE",
    "SOURCE_KINDS",
    "DataConfig",
    "SensorModelChoice",
    "SourceConfig",
    "SourceKind",
    "SplitName",
]

SourceKind = Literal["synthetic", "folder", "named", "rosbag", "nyu_mat", "shards"]
SplitName = Literal["train", "val"]

#: the kinds of :class:`SourceConfig`
SOURCE_KINDS: tuple[str, ...] = ("synthetic", "folder", "named", "rosbag", "nyu_mat", "shards")

#: the smallest model stride (``dsr_only``): crops are checked against it while
#: ``DataConfig.stride`` is left to the trainer (``None``)
MIN_MODEL_STRIDE = 8


@dataclass(frozen=True)
class SourceConfig:
    """One data source of a mix.

    Attributes:
        kind: ``synthetic``, ``folder`` (folder format), ``named`` (a set of the shared data),
            ``rosbag`` (a rosbag2 recording), ``nyu_mat`` (NYU v2 labelled ``.mat``) or
            ``shards`` (pre-built samples of ``bridgenet data build-shards``; training only).
        weight: relative sampling weight in training (> 0).
        path: folder, bag, ``.mat`` or shard directory; for ``named`` the set name (e.g.
            ``rgbdd``).
        depth_scale: metres per depth-file value, a unit name, or ``None`` (folder only).
        lr_subdir: real LR sub-folder (folder only).
        use_real_lr: use real LR depth when the source has it (else bicubic from HR).
        group_by: split grouping for folders (``day``, ``stem``, ``set``).
        seed: synthetic seed.
        height: synthetic render height (pixels).
        width: synthetic render width (pixels).
        length: number of synthetic frames (training); validation uses ``val_frames``.
        val_frames: number of synthetic validation frames.
        texture_photos: synthetic only: named sets or folders whose **training-split** RGB
            images give photo textures (crops of real photos as albedo, so RGB edges and depth
            edges stop coinciding); empty = procedural textures only.
        photo_texture_prob: share of synthetic materials that are photo crops (when
            ``texture_photos`` is set).
        rgb_topic: rosbag RGB topic.
        depth_topic: rosbag HR depth topic.
        max_dt_s: rosbag pairing tolerance in seconds.
        register_to_rgb: training split only, sources with HR depth: move each frame's HR
            depth onto its RGB by its estimated whole-pixel offset
            (:mod:`~bridgenet_ros.data.registration`); validation frames are never moved.
        register_max_shift_px: largest offset searched per axis, RGB pixels (>= 2).
        register_min_gain: least edge-score gain for an offset to be applied (>= 1).
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
    texture_photos: tuple[str, ...] = ()
    photo_texture_prob: float = 0.5
    rgb_topic: str = "/camera/color/image_raw"
    depth_topic: str = "/camera/depth/image_raw"
    max_dt_s: float = 0.02
    register_to_rgb: bool = False
    register_max_shift_px: float = DEFAULT_MAX_SHIFT_PX
    register_min_gain: float = DEFAULT_MIN_GAIN

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ConfigError(
                f"SourceConfig.kind must be one of {', '.join(SOURCE_KINDS)}, got {self.kind!r}"
            )
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ConfigError(f"SourceConfig.weight must be > 0, got {self.weight}")
        if self.kind != "synthetic" and not self.path:
            raise ConfigError(f"SourceConfig.path is required for kind {self.kind!r}")
        if self.group_by not in ("day", "stem", "set"):
            raise ConfigError(
                f"SourceConfig.group_by must be day, stem or set, got {self.group_by!r}"
            )
        if self.height < 16 or self.width < 16:
            raise ConfigError(
                f"SourceConfig.height/width must be >= 16, got {self.height}x{self.width}"
            )
        if self.length < 1 or self.val_frames < 1:
            raise ConfigError("SourceConfig.length and val_frames must be >= 1")
        if self.seed < 0:
            raise ConfigError(f"SourceConfig.seed must be >= 0, got {self.seed}")
        if self.max_dt_s <= 0:
            raise ConfigError(f"SourceConfig.max_dt_s must be > 0, got {self.max_dt_s}")
        if isinstance(self.texture_photos, str):
            object.__setattr__(self, "texture_photos", (self.texture_photos,))
        object.__setattr__(self, "texture_photos", tuple(str(p) for p in self.texture_photos))
        if self.texture_photos and self.kind != "synthetic":
            raise ConfigError("SourceConfig.texture_photos applies to kind 'synthetic' only")
        if not 0.0 <= self.photo_texture_prob <= 1.0:
            raise ConfigError(
                f"SourceConfig.photo_texture_prob must be in [0, 1], got {self.photo_texture_prob}"
            )
        self._check_registration()

    def _check_registration(self) -> None:
        if not self.register_to_rgb:
            return
        if self.kind in ("synthetic", "shards"):
            raise ConfigError(
                f"SourceConfig.register_to_rgb applies to sources with recorded HR depth, not"
                f" kind {self.kind!r} (synthetic frames are registered by construction; shards"
                " are built samples: set it on the sources they are built from)"
            )
        if self.register_max_shift_px < 2.0 or self.register_min_gain < 1.0:
            raise ConfigError(
                "SourceConfig.register_max_shift_px must be >= 2 and register_min_gain >= 1, got"
                f" {self.register_max_shift_px} and {self.register_min_gain}"
            )


@dataclass(frozen=True)
class SensorModelChoice:
    """One entry of ``DataConfig.sensor_models``: a ToF, stereo **or** LiDAR model and its weight.

    YAML: ``{weight: 2.0, tof: {noise_b_per_m: 0.004}}``, ``{weight: 1.0, stereo: {}}`` or
    ``{weight: 1.0, lidar: {n_beams: 32}}``.

    Attributes:
        weight: relative probability of this model among the entries (> 0).
        tof: ToF/structured-light parameters (:class:`SensorModelConfig`).
        stereo: active-stereo parameters (:class:`StereoSensorConfig`).
        lidar: multi-beam LiDAR parameters (:class:`LidarSensorConfig`).
    """

    weight: float = 1.0
    tof: SensorModelConfig | None = None
    stereo: StereoSensorConfig | None = None
    lidar: LidarSensorConfig | None = None

    def __post_init__(self) -> None:
        kinds = {
            "tof": SensorModelConfig,
            "stereo": StereoSensorConfig,
            "lidar": LidarSensorConfig,
        }
        for name, cls in kinds.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                value = from_mapping(cls, value, where=f"sensor_models[].{name}")
                object.__setattr__(self, name, value)
        if sum(getattr(self, name) is not None for name in kinds) != 1:
            raise ConfigError(
                "a sensor_models entry needs exactly one of 'tof', 'stereo' or 'lidar' (a mapping "
                "of that model's parameters, {} for its defaults)"
            )
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ConfigError(f"sensor_models[].weight must be > 0, got {self.weight}")

    @property
    def model(self) -> AnySensorModel:
        """The chosen model's parameters."""
        model = self.tof or self.stereo or self.lidar
        assert model is not None
        return model


def _default_sources() -> tuple[SourceConfig, ...]:
    return (SourceConfig(kind="synthetic"),)


def _as_tuple_of(cls: type, values: Any, where: str) -> tuple[Any, ...]:
    """Convert a sequence of mappings / instances into a tuple of ``cls`` instances."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise ConfigError(f"{where} must be a list, got {type(values).__name__}")
    items = []
    for i, value in enumerate(values):
        if isinstance(value, Mapping):
            value = from_mapping(cls, value, where=f"{where}[{i}]")
        if not isinstance(value, cls):
            raise ConfigError(f"{where}[{i}] must be a mapping, got {value!r}")
        items.append(value)
    return tuple(items)


@dataclass(frozen=True)
class DataConfig:
    """Training/validation data settings (the ``data:`` section of a training config).

    Attributes:
        sources: the mix; mappings are converted to :class:`SourceConfig`.
        crop_hw: training/validation crop ``(h, w)``, multiples of ``stride``.
        stride: the model stride the crop must be a multiple of; ``None`` = the model's stride
            (the trainer fills it in); meanwhile crops are checked against
            :data:`MIN_MODEL_STRIDE`.
        scale_range: ``(min, max)`` scale factor, drawn per training sample.
        scale_sampling: ``uniform`` in ``scale_range``, or ``log_uniform`` (uniform in
            ``log(scale)``: as many samples in ×2–×4 as in ×4–×8 and ×8–×16).
        val_scales: fixed scales of the validation set (each frame at each scale).
        flip: random horizontal flips in training.
        samples_per_epoch: length of the training dataset (samples are drawn, not enumerated).
        val_fraction: share of groups (e.g. RGB-D-D capture days) held out for validation.
        sensor_model: one ToF sensor model (the original form; same as one ``sensor_models``
            entry ``{tof: ...}``); not together with ``sensor_models``.
        sensor_models: sensor models to mix (ToF, stereo and/or LiDAR, chosen by weight per
            sample).
        sensor_model_prob: probability of degrading a training sample with a sensor model
            (metric sources only).
        rgb_dropout_prob: guidance dropout: probability that a training sample's RGB is replaced
            by its mean colour (no edges, no texture), so the network learns to keep the
            up-sampled depth, and to correct it from the depth alone, where the RGB gives no
            evidence (docs/architecture.md, "Stage 2 measurements"). ``0`` = off.
        on_error: ``raise`` or ``skip`` for bad files (skips are counted, another frame is
            drawn); validation always raises.
        seed: base seed of the sample randomness.
        data_root: root of the shared data for ``named`` sources (default ``../shared/data``).
    """

    sources: tuple[SourceConfig, ...] = field(default_factory=_default_sources)
    crop_hw: tuple[int, int] = (128, 128)
    stride: int | None = None
    scale_range: tuple[float, float] = (2.0, 16.0)
    scale_sampling: Literal["uniform", "log_uniform"] = "uniform"
    val_scales: tuple[float, ...] = (4.0, 8.0, 16.0)
    flip: bool = True
    samples_per_epoch: int = 2000
    val_fraction: float = 0.2
    sensor_model: SensorModelConfig | None = None
    sensor_models: tuple[SensorModelChoice, ...] = ()
    sensor_model_prob: float = 0.5
    rgb_dropout_prob: float = 0.0
    on_error: Literal["raise", "skip"] = "raise"
    seed: int = 0
    data_root: str | None = None

    def __post_init__(self) -> None:
        self._convert_nested()
        self._check_geometry()
        self._check_sampling()
        for i, source in enumerate(self.sources):
            if source.kind == "synthetic" and (
                source.height < self.crop_hw[0] or source.width < self.crop_hw[1]
            ):
                raise ConfigError(
                    f"DataConfig.sources[{i}]: synthetic frames {source.width}x{source.height} "
                    f"are smaller than crop_hw {self.crop_hw}"
                )

    def _convert_nested(self) -> None:
        """Mappings -> typed configs (sources, sensor models), lists -> tuples."""
        sources = _as_tuple_of(SourceConfig, self.sources, "DataConfig.sources")
        if not sources:
            raise ConfigError("DataConfig.sources is empty; add at least one source")
        object.__setattr__(self, "sources", sources)
        if isinstance(self.sensor_model, Mapping):
            model = from_mapping(
                SensorModelConfig, self.sensor_model, where="DataConfig.sensor_model"
            )
            object.__setattr__(self, "sensor_model", model)
        if self.sensor_model is not None and not isinstance(self.sensor_model, SensorModelConfig):
            raise ConfigError(
                f"DataConfig.sensor_model must be a mapping of ToF parameters, got "
                f"{self.sensor_model!r}; use sensor_models for stereo or LiDAR"
            )
        choices = _as_tuple_of(SensorModelChoice, self.sensor_models, "DataConfig.sensor_models")
        object.__setattr__(self, "sensor_models", choices)
        if self.sensor_model is not None and choices:
            raise ConfigError(
                "DataConfig: give sensor_model (one ToF model) or sensor_models (a mix), not both"
            )

    def _check_geometry(self) -> None:
        try:
            crop = tuple(int(v) for v in self.crop_hw)
            scales = tuple(float(v) for v in self.scale_range)
            val_scales = tuple(float(v) for v in self.val_scales)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"DataConfig: crop_hw/scale_range/val_scales: {err}") from err
        object.__setattr__(self, "crop_hw", crop)
        object.__setattr__(self, "scale_range", scales)
        object.__setattr__(self, "val_scales", val_scales)
        if self.stride is not None and (not isinstance(self.stride, int) or self.stride < 1):
            raise ConfigError(f"DataConfig.stride must be an integer >= 1, got {self.stride!r}")
        stride = self.stride or MIN_MODEL_STRIDE
        if len(crop) != 2 or any(v <= 0 or v % stride for v in crop):
            raise ConfigError(
                f"DataConfig.crop_hw must be two positive multiples of stride={stride}, "
                f"got {self.crop_hw}"
            )
        if len(scales) != 2 or not 1.0 <= scales[0] <= scales[1]:
            raise ConfigError(
                f"DataConfig.scale_range must satisfy 1 <= min <= max, got {self.scale_range}"
            )
        if not val_scales or any(s < 1.0 for s in val_scales):
            raise ConfigError(f"DataConfig.val_scales must be >= 1, got {self.val_scales}")

    def _check_sampling(self) -> None:
        if self.scale_sampling not in ("uniform", "log_uniform"):
            raise ConfigError(
                "DataConfig.scale_sampling must be uniform or log_uniform, got "
                f"{self.scale_sampling!r}"
            )
        if not isinstance(self.samples_per_epoch, int) or self.samples_per_epoch < 1:
            raise ConfigError(
                f"DataConfig.samples_per_epoch must be an integer >= 1, got "
                f"{self.samples_per_epoch!r}"
            )
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(
                f"DataConfig.val_fraction must be in [0, 1), got {self.val_fraction}"
            )
        if not 0.0 <= self.sensor_model_prob <= 1.0:
            raise ConfigError(
                f"DataConfig.sensor_model_prob must be in [0, 1], got {self.sensor_model_prob}"
            )
        if not 0.0 <= self.rgb_dropout_prob <= 1.0:
            raise ConfigError(
                f"DataConfig.rgb_dropout_prob must be in [0, 1], got {self.rgb_dropout_prob}"
            )
        if self.on_error not in ("raise", "skip"):
            raise ConfigError(f"DataConfig.on_error must be raise or skip, got {self.on_error!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"DataConfig.seed must be an integer >= 0, got {self.seed!r}")

    @property
    def sensor_mix(self) -> tuple[tuple[AnySensorModel, ...], tuple[float, ...]]:
        """``(models, probabilities)`` of the sensor-model mix (empty when there is none)."""
        if self.sensor_model is not None:
            return (self.sensor_model,), (1.0,)
        if not self.sensor_models:
            return (), ()
        total = sum(c.weight for c in self.sensor_models)
        return (
            tuple(c.model for c in self.sensor_models),
            tuple(c.weight / total for c in self.sensor_models),
        )
