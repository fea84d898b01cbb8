# SPDX-License-Identifier: Apache-2.0
"""``TrainConfig``: everything a training run needs, loaded from YAML (``config/train_*.yaml``).

Layout of a training YAML::

    variant: lite              # create_model() name
    model: {}                  # create_model() overrides
    data: {...}                # DataConfig of the training mix (bridgenet_ros.data.config)
    val: {set: rgbdd, split: val, scales: [4, 8, 16], max_images: 12, crop: 6}
    steps: 6000
    batch_size: 8
    lr: 0.0005
    ...

Precedence: dataclass defaults < YAML < CLI flags (``merge_overrides``). The ``data:`` section
is parsed into a typed :class:`~bridgenet_ros.data.config.DataConfig` at load, so a misspelt key
or a bad value there fails at load with the field's name (``train.data...``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bridgenet_ros.config_io import from_mapping, load_yaml
from bridgenet_ros.data.config import DataConfig
from bridgenet_ros.errors import ConfigError

__all__ = ["SCHEDULES", "TrainConfig", "ValConfig", "load_train_config"]

#: learning-rate schedules understood by the trainer
SCHEDULES: tuple[str, ...] = ("cosine", "constant")


def protocol_name(sensor_yaml: str) -> str:
    """The validation protocol named after a sensor-model file (``sensor_model_X.yaml`` → X)."""
    stem = Path(sensor_yaml).stem
    return stem[len("sensor_model_") :] if stem.startswith("sensor_model_") else stem


@dataclass(frozen=True)
class ValConfig:
    """Validation on real data, run every ``TrainConfig.val_every`` steps.

    Attributes:
        set: named set (``open_named_set``) or a folder path; ``""`` disables validation.
        split: ``"val"`` (the data module's validation groups, e.g. RGB-D-D capture days),
            ``"train"`` or ``"all"``.
        scales: scale factors evaluated (LR by the literature's bicubic protocol).
        max_images: at most this many images (evenly spaced over the split) per validation.
        crop: border crop in pixels before scoring.
        metric: ``rmse`` or ``mae`` (metres), averaged over scales: chooses the best checkpoint.
        sensor_model: ``""`` = bicubic LR only; else a sensor-model YAML (``kind: tof |
            stereo | lidar``, e.g. ``config/sensor_model_tof.yaml``): every frame is also
            scored with that noisy LR (seeded, the same each time) and the metric averages the
            clean and noisy scores, so the best checkpoint is also the robust one.
        extra_sensor_models: more sensor-model YAMLs, each one more scored protocol at every
            scale (its frame sets are named after the file: ``sensor_model_tof_holes.yaml``
            gives ``tof_holes_x4`` ...); the metric averages every protocol equally, so a
            stage trained for a degradation selects its checkpoint on it too (stage 3c).
    """

    set: str = "rgbdd"
    split: str = "val"
    scales: tuple[float, ...] = (4.0, 8.0, 16.0)
    max_images: int = 12
    crop: int = 6
    metric: str = "rmse"
    sensor_model: str = ""
    extra_sensor_models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.split not in ("val", "train", "all"):
            raise ConfigError(f"val.split must be val, train or all, got {self.split!r}")
        if not self.scales or any(float(s) < 1.0 for s in self.scales):
            raise ConfigError(
                f"val.scales must be a non-empty list of values >= 1, got {self.scales}"
            )
        if self.max_images < 1:
            raise ConfigError(f"val.max_images must be >= 1, got {self.max_images}")
        if self.crop < 0:
            raise ConfigError(f"val.crop must be >= 0 pixels, got {self.crop}")
        if self.metric not in ("rmse", "mae"):
            raise ConfigError(f"val.metric must be rmse or mae, got {self.metric!r}")
        names = [protocol_name(path) for path in self.extra_sensor_models]
        if len(set(names)) != len(names) or "noisy" in names:
            raise ConfigError(
                f"val.extra_sensor_models need distinct file names other than 'noisy', got "
                f"{list(self.extra_sensor_models)}; rename a copy of the YAML"
            )


@dataclass(frozen=True)
class TrainConfig:
    """A training run (frozen; validated on construction).

    Attributes:
        variant: model variant for ``create_model`` (``paper``, ``lite``, ``dsr_only``, ``test``).
        model: ``create_model`` keyword overrides.
        data: the training mix (sources, weights, scale range, crop, sensor models); a mapping
            is converted to a :class:`DataConfig` (validated) on construction.
        val: validation settings.
        steps: optimizer steps in total (the LR schedule spans them).
        batch_size: samples per step and per process (DDP: global batch = world × this).
        lr: peak learning rate of AdamW.
        weight_decay: AdamW weight decay.
        betas: AdamW betas.
        schedule: ``cosine`` (linear warm-up then cosine to ``min_lr_ratio × lr``) or
            ``constant`` (warm-up then flat).
        warmup_steps: linear warm-up length in steps.
        min_lr_ratio: final LR of the cosine schedule relative to ``lr``.
        grad_clip: max global gradient norm; 0 disables clipping.
        ema_decay: 0 = off; else keep an exponential moving average of the weights with this
            decay (e.g. 0.999: a memory of about 1,000 steps; :mod:`bridgenet_ros.train.ema`).
            Validation, ``best.pt`` and ``last.pt`` then use the averaged weights, the log
            also gets ``val_raw`` rows for the trained weights themselves, and a resumed run
            whose state has no average starts one from its weights.
        mde_weight: weight of the MDE L1 term (the SR term has weight 1).
        val_every: validate (and maybe save ``best.pt``) every this many steps; 0 = only at
            the end.
        log_every: write a CSV row every this many steps.
        checkpoint_every: save the resumable state every this many steps (and at the end).
        seed: seed of Python, numpy and torch (per rank: ``seed + rank``).
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
        num_workers: DataLoader worker processes.
        threads: torch intra-op threads on CPU (0 = leave torch's default).
        channels_last: keep the model's conv weights and the input batches in channels-last
            (NHWC) memory: the same arithmetic up to float rounding, and on the project's CPU
            a `lite_hr` training step (batch 8, 192×192, 1 thread) takes 0.72 s instead of
            1.06 s (docs/performance.md).
        tensorboard: also write a TensorBoard log (needs the ``tensorboard`` package).
        time_budget_s: 0 = off; else train for about this many seconds of wall time (counted
            across resumes): from the measured step rate the trainer shortens the LR schedule
            to the steps that fit (never beyond ``steps``) and ends there, validated and saved
            as at a normal end. For a fixed GPU/CPU lease; the step count then depends on the
            machine's speed (it is recorded in the checkpoint metadata).
        init_checkpoint: ``""`` = random initialization; else start from the weights of this
            checkpoint (``model.save_checkpoint`` format, e.g. ``models/bridgenet_lite.pt``):
            fine-tuning. Its variant must equal ``variant``; the optimizer and schedule start
            fresh; ignored on ``--resume`` (the run's own state wins).
    """

    variant: str = "lite"
    model: dict[str, Any] = field(default_factory=dict)
    data: DataConfig = field(default_factory=DataConfig)
    val: ValConfig = field(default_factory=ValConfig)
    steps: int = 6000
    batch_size: int = 8
    lr: float = 5e-4
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: str = "cosine"
    warmup_steps: int = 200
    min_lr_ratio: float = 0.02
    grad_clip: float = 1.0
    ema_decay: float = 0.0
    mde_weight: float = 0.5
    val_every: int = 500
    log_every: int = 10
    checkpoint_every: int = 250
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    threads: int = 0
    channels_last: bool = True
    tensorboard: bool = False
    time_budget_s: float = 0.0
    init_checkpoint: str = ""

    def __post_init__(self) -> None:
        self._coerce_data()
        self._check_counts()
        self._check_optimization()
        self._check_device_and_model()

    def _coerce_data(self) -> None:
        """Turn a ``data`` mapping into a validated :class:`DataConfig`."""
        if isinstance(self.data, Mapping):
            object.__setattr__(
                self, "data", from_mapping(DataConfig, self.data, where="train.data")
            )
        if not isinstance(self.data, DataConfig):
            raise ConfigError(f"train.data must be a mapping, got {type(self.data).__name__}")

    def _check_counts(self) -> None:
        """Validate the step/batch/interval counts and the worker/thread counts."""
        positive = {
            "steps": self.steps,
            "batch_size": self.batch_size,
            "log_every": self.log_every,
            "checkpoint_every": self.checkpoint_every,
        }
        for name, value in positive.items():
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"train.{name} must be an integer >= 1, got {value!r}")
        non_negative = {
            "val_every": self.val_every,
            "warmup_steps": self.warmup_steps,
            "num_workers": self.num_workers,
            "threads": self.threads,
        }
        for name, value in non_negative.items():
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"train.{name} must be an integer >= 0, got {value!r}")

    def _check_optimization(self) -> None:
        """Validate the time budget, optimizer and learning-rate schedule settings."""
        if not (math.isfinite(self.time_budget_s) and self.time_budget_s >= 0):
            raise ConfigError(
                f"train.time_budget_s must be >= 0 seconds (0 = off), got {self.time_budget_s}"
            )
        if not self.lr > 0:
            raise ConfigError(f"train.lr must be > 0, got {self.lr}")
        if self.weight_decay < 0 or self.grad_clip < 0 or self.mde_weight < 0:
            raise ConfigError(
                "train.weight_decay, grad_clip and mde_weight must be >= 0, got"
                f" {self.weight_decay}, {self.grad_clip}, {self.mde_weight}"
            )
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(
                f"train.ema_decay must be in [0, 1) (0 = off, e.g. 0.999), got {self.ema_decay}"
            )
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"train.betas must be two values in [0, 1), got {self.betas}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"train.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ConfigError(f"train.min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")

    def _check_device_and_model(self) -> None:
        """Validate ``device`` and that ``model`` is a mapping."""
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ConfigError(
                f"train.device must be auto, cpu, cuda or cuda:N, got {self.device!r}"
            )
        if not isinstance(self.model, dict):
            raise ConfigError("train.model must be a mapping")


def load_train_config(
    path: str | Path | None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Load a ``TrainConfig`` from YAML (or defaults) with top-level overrides applied.

    Args:
        path: YAML file, or ``None`` for the dataclass defaults.
        overrides: top-level keys to replace (``None`` values are ignored).

    Raises:
        ConfigError: on unknown keys, invalid values or an unreadable file.
    """
    mapping: dict[str, Any] = load_yaml(path) if path is not None else {}
    for key, value in (overrides or {}).items():
        if value is not None:
            mapping[key] = value
    return from_mapping(TrainConfig, mapping, where=str(path) if path else "TrainConfig")
