# SPDX-License-Identifier: Apache-2.0
"""The training loop: AdamW, warm-up + cosine LR, gradient clipping, validation, checkpoints.

Files written in the run folder ``out_dir`` (rank 0 only):

- ``config.yaml``: the resolved :class:`TrainConfig`.
- ``log.csv`` (+ ``tensorboard/`` when enabled): see :mod:`bridgenet_ros.train.logging`.
- ``state.pt``: the resumable state (model, optimizer, scheduler, step, best score, RNG).
- ``last.pt`` / ``best.pt``: deployable checkpoints (``model.save_checkpoint`` format) of the last
  step and of the best validation score; their metadata holds the config, step and metrics.
  Under ``ema_decay`` both hold the weight average (:mod:`bridgenet_ros.train.ema`), which is
  also what validation scores; ``state.pt`` keeps the average beside the trained weights.

``resume=True`` continues from ``state.pt``: the step count, optimizer and scheduler state and the
best score carry on; the data stream is re-seeded with the step so it does not repeat.

With ``time_budget_s`` the schedule's length is re-estimated from the measured step rate
(:class:`ScheduleFitter`) so that the run ends, validated and saved, inside the budget; under DDP
the ranks agree on the smallest estimate.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, IterableDataset, RandomSampler

from bridgenet_ros.config_io import to_mapping
from bridgenet_ros.errors import CheckpointError, ConfigError, TrainingError
from bridgenet_ros.train.config import TrainConfig
from bridgenet_ros.train.ddp import (
    DistInfo,
    barrier,
    cleanup_distributed,
    init_distributed,
    resolve_device,
)
from bridgenet_ros.train.ema import WeightAverage
from bridgenet_ros.train.logging import RunLogger
from bridgenet_ros.train.losses import BridgeNetLoss

log = logging.getLogger(__name__)

__all__ = ["GracefulStop", "TrainResult", "Validator", "lr_factor", "train"]

#: ``validator(model) -> {"rmse": metres, "mae": metres}`` on the validation split
Validator = Callable[[nn.Module], Mapping[str, float]]

STATE_FORMAT = "bridgenet_ros.train_state/1"

#: steps between re-estimates of the schedule length under ``time_budget_s``
RATE_ESTIMATE_EVERY = 200
#: ... and at the latest this many seconds (single process only: DDP ranks re-estimate in step)
RATE_ESTIMATE_MAX_WAIT_S = 30.0


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes:
        out_dir: the run folder.
        step: the last completed step.
        best_score: best validation score (metres; ``inf`` if never validated).
        losses: training loss of every step run in this call (in order).
        elapsed_s: wall time of this call in seconds.
    """

    out_dir: Path
    step: int
    best_score: float
    losses: list[float]
    elapsed_s: float


def lr_factor(step: int, config: TrainConfig, total_steps: int | None = None) -> float:
    """LR multiplier at ``step`` (0-based): linear warm-up, then cosine or constant.

    Args:
        step: optimizer steps already taken.
        config: schedule, warm-up, total steps and final ratio.
        total_steps: length of the schedule (default ``config.steps``; shorter under
            ``time_budget_s``).

    Returns:
        A factor in ``(0, 1]`` applied to ``config.lr``.
    """
    if config.warmup_steps > 0 and step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    total = config.steps if total_steps is None else total_steps
    span = max(1, total - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return config.min_lr_ratio + (1.0 - config.min_lr_ratio) * cosine


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _batches(
    dataset: Dataset[Any], config: TrainConfig, seed: int, epoch: int, dist_info: DistInfo
) -> Iterator[dict[str, torch.Tensor]]:
    """Endless stream of batches.

    Map-style datasets are shuffled per pass; a dataset with ``set_epoch`` (the data module's
    ``DepthSRDataset``) draws new random crops/scales every pass, different on every DDP rank
    (``set_epoch(epoch * world_size + rank)``).
    """
    while True:
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch * dist_info.world_size + dist_info.rank)
        if isinstance(dataset, IterableDataset):
            loader: DataLoader[Any] = DataLoader(
                dataset, batch_size=config.batch_size, num_workers=config.num_workers
            )
        else:
            generator = torch.Generator().manual_seed(seed + epoch)
            sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            loader = DataLoader(
                dataset,
                batch_size=config.batch_size,
                sampler=sampler,
                num_workers=config.num_workers,
                drop_last=True,
            )
        n = 0
        for batch in loader:
            n += 1
            yield batch
        if n == 0:
            raise ConfigError(
                f"the training dataset yields no full batch of {config.batch_size}; lower"
                " train.batch_size or raise data.samples_per_epoch"
            )
        epoch += 1


def _build_model(config: TrainConfig) -> nn.Module:
    """A fresh model of ``config.variant``, or the weights of ``config.init_checkpoint``.

    With ``model:`` overrides as well, the checkpoint's architecture is extended by them (e.g.
    ``residual_gate: true``) and its weights copied in; the new layers keep their init.
    """
    from bridgenet_ros.model import create_model, load_matching_weights, load_model

    if not config.init_checkpoint:
        return create_model(config.variant, **config.model)
    model = load_model(config.init_checkpoint)
    found = model.config.variant
    if found != config.variant:
        raise ConfigError(
            f"train.init_checkpoint {config.init_checkpoint} holds a {found!r} model but "
            f"train.variant is {config.variant!r}; set variant: {found}"
        )
    if config.model:
        base = to_mapping(model.config)
        model = create_model(found, **{**base, **config.model})
        new = load_matching_weights(model, config.init_checkpoint)
        log.info("init from %s; new tensors: %s", config.init_checkpoint, new or "none")
    model.train()
    return model


def _build_dataset(config: TrainConfig, stride: int) -> Dataset[Any]:
    from dataclasses import replace

    from bridgenet_ros.data.datasets import build_dataset

    data_config = config.data  # typed and validated when the TrainConfig was loaded
    if data_config.stride is None:
        data_config = replace(data_config, stride=stride)  # re-checks crop_hw against it
    elif data_config.stride % stride:
        raise ConfigError(
            f"train.data.stride={data_config.stride} is not a multiple of the model stride"
            f" {stride}"
        )
    return build_dataset(data_config, "train")


def estimate_schedule_steps(
    config: TrainConfig,
    step: int,
    steps_per_s: float,
    elapsed_s: float,
    reserve_s: float,
) -> int:
    """Last step that fits ``config.time_budget_s`` at the measured rate (at least ``step + 1``).

    Args:
        config: ``time_budget_s`` (> 0) and ``steps`` (the upper bound).
        step: steps taken so far.
        steps_per_s: measured training rate (validation time included).
        elapsed_s: wall time spent so far (resumed calls included).
        reserve_s: time kept for the final validation and save.
    """
    remaining = config.time_budget_s - elapsed_s - reserve_s
    fit = step + int(max(0.0, remaining) * max(steps_per_s, 0.0))
    return max(step + 1, min(config.steps, fit))


class ScheduleFitter:
    """Fits the LR schedule's length to ``config.time_budget_s`` while training runs.

    The step rate is measured from the 5th step of this call (start-up excluded), validation
    time included. The length is re-estimated 20 steps after that, then every
    ``RATE_ESTIMATE_EVERY`` steps, and (single process) at least every
    ``RATE_ESTIMATE_MAX_WAIT_S`` seconds; it only ever shrinks. The time of the last validation
    (×1.2) + 2 s is kept for the final validation and save.

    Args:
        config: ``time_budget_s`` (> 0) and ``steps``.
        elapsed_before_s: training time of earlier (resumed) calls.
        distributed: under DDP only step-based re-estimates (the ranks must all take part).
    """

    def __init__(self, config: TrainConfig, elapsed_before_s: float, distributed: bool) -> None:
        self.config = config
        self.elapsed_before_s = elapsed_before_s
        self.distributed = distributed
        self.t_start = time.perf_counter()
        self.steps_seen = 0
        self.rate_from: tuple[int, float] | None = None
        self.next_step: int | None = None
        self.last_check = self.t_start
        self.val_seconds = 0.0

    def due(self, step: int) -> bool:
        """Record a finished step; True when the schedule length should be re-estimated."""
        now = time.perf_counter()
        self.steps_seen += 1
        if self.rate_from is None:
            if self.steps_seen >= 5:
                self.rate_from = (step, now)
                self.next_step = step + 20
            return False
        assert self.next_step is not None
        if step >= self.next_step:
            return True
        return not self.distributed and now - self.last_check >= RATE_ESTIMATE_MAX_WAIT_S

    def estimate(self, step: int) -> int:
        """The schedule length that fits the budget at the rate measured so far."""
        assert self.rate_from is not None
        now = time.perf_counter()
        rate = (step - self.rate_from[0]) / max(now - self.rate_from[1], 1e-9)
        self.next_step = step + RATE_ESTIMATE_EVERY
        self.last_check = now
        return estimate_schedule_steps(
            self.config,
            step,
            rate,
            self.elapsed_before_s + now - self.t_start,
            2.0 + 1.2 * self.val_seconds,
        )


def _agree_min(value: int, dist_info: DistInfo, device: torch.device) -> int:
    """The smallest ``value`` over the DDP ranks (``value`` itself without DDP)."""
    if not dist_info.enabled:
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)
    torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.MIN)
    return int(tensor.item())


def _score(validator: Validator, model: nn.Module) -> dict[str, float]:
    """``validator(model)`` in eval mode without gradients."""
    model.eval()
    with torch.no_grad():
        return dict(validator(model))


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _save_model(path: Path, model: Any, metadata: dict[str, Any]) -> None:
    from bridgenet_ros.model import save_checkpoint

    save_checkpoint(path, model, metadata)  # atomic


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _load_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"cannot resume: {path} does not exist; start without --resume")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"cannot resume: {path} is not a readable train state: {err}"
        ) from err
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"cannot resume: {path} is not a {STATE_FORMAT} file")
    return state


def _setup_device(config: TrainConfig) -> tuple[torch.device, DistInfo, bool]:
    """Device, DDP group (from the torchrun environment) and threads; seeds the RNGs.

    Returns:
        ``(device, dist_info, owned_group)``: ``owned_group`` is True when this call created the
        process group (and must destroy it).
    """
    device = resolve_device(config.device)
    owned_group = not (torch.distributed.is_available() and torch.distributed.is_initialized())
    dist_info: DistInfo = init_distributed(device)
    if device.type == "cuda" and config.device in ("auto", "cuda"):
        device = torch.device("cuda", dist_info.local_rank)
        torch.cuda.set_device(device)
    if config.threads > 0 and device.type == "cpu":
        torch.set_num_threads(config.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed crop sizes: pick the fastest conv kernels
    _seed_everything(config.seed + dist_info.rank)
    return device, dist_info, owned_group


class _Run:
    """The state of one :func:`train` call and its named steps, which :func:`train` runs.

    Steps: set up (``__init__``), ``resume``, ``start``, then per step ``train_step``,
    ``fit_schedule``, ``log_train``, ``validate``, ``save``.

    Args:
        config: the run's configuration.
        out: run folder.
        device: training device (after DDP set-up).
        dist_info: this process's rank and world size.
        dataset: training samples, or None for ``build_dataset(config.data)``.
        validator: validation function, or None for the default from ``config.val``.
        t_start: ``time.perf_counter()`` when the call started.
    """

    def __init__(
        self,
        config: TrainConfig,
        out: Path,
        device: torch.device,
        dist_info: DistInfo,
        dataset: Dataset[Any] | None,
        validator: Validator | None,
        t_start: float,
    ) -> None:
        self.t_start = t_start
        self.config = config
        self.out = out
        self.device = device
        self.dist_info = dist_info
        self.model = _build_model(config)
        stride = int(getattr(self.model, "stride", 1))
        self.dataset = dataset if dataset is not None else _build_dataset(config, stride)
        if validator is None and config.val.set and dist_info.is_main:
            from bridgenet_ros.train.validation import build_validator

            validator = build_validator(config.val, device=device)
        self.validator = validator
        self.model.to(device)
        self.memory_format = (
            torch.channels_last if config.channels_last else torch.contiguous_format
        )
        self.model.to(memory_format=self.memory_format)  # type: ignore[call-overload]
        self.average = (
            WeightAverage(self.model, config.ema_decay, ramp=not config.init_checkpoint)
            if config.ema_decay
            else None
        )
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=config.lr,
            betas=tuple(config.betas),  # type: ignore[arg-type]
            weight_decay=config.weight_decay,
        )
        self.schedule_steps = config.steps  # shortened under time_budget_s
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, config, self.schedule_steps)
        )
        self.criterion = BridgeNetLoss(config.mde_weight)
        self.train_model: nn.Module = self.model
        self.step = 0
        self.best = math.inf
        self.elapsed_before = 0.0
        self.losses: list[float] = []
        self.last_metrics: Mapping[str, float] | None = None
        self.logger: RunLogger | None = None
        self.fitter: ScheduleFitter | None = None
        self.end = config.steps
        self.t_window = time.perf_counter()
        self.steps_window = 0

    @property
    def kept_model(self) -> nn.Module:
        """The weights validated and saved: the average under ``ema_decay``, else the model."""
        return self.average.model if self.average is not None else self.model

    def elapsed(self) -> float:
        """Training seconds so far, earlier (resumed) calls included."""
        return self.elapsed_before + time.perf_counter() - self.t_start

    def resume(self) -> None:
        """Load model, optimizer, scheduler, step and best score from ``out/state.pt``."""
        config = self.config
        state = _load_state(self.out / "state.pt")
        if state["variant"] != config.variant:
            raise ConfigError(
                f"cannot resume a {state['variant']!r} run with variant {config.variant!r}"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = int(state["step"])
        self.best = float(state["best"])
        self.schedule_steps = int(state.get("schedule_steps", config.steps))
        self.elapsed_before = float(state.get("elapsed_s", 0.0))
        if self.config.ema_decay:  # a state saved without an average starts one here
            saved = state.get("ema")
            ramp = saved is not None and not self.config.init_checkpoint
            self.average = WeightAverage(self.model, self.config.ema_decay, ramp=ramp)
            if saved is not None:
                self.average.load_state_dict(saved)
        _seed_everything(config.seed + self.dist_info.rank + 7919 * self.step)

    def start(self, max_steps: int | None) -> None:
        """Wrap in DDP, fix the last step, write ``config.yaml`` and open the log (rank 0)."""
        config, dist_info = self.config, self.dist_info
        if dist_info.enabled:
            self.train_model = nn.parallel.DistributedDataParallel(
                self.model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
            )
        self.end = min(config.steps, max_steps) if max_steps is not None else config.steps
        if dist_info.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            import yaml

            text = yaml.safe_dump(to_mapping(config), sort_keys=False)
            (self.out / "config.yaml").write_text(text)
            self.logger = RunLogger(self.out, tensorboard=config.tensorboard)
        if config.time_budget_s > 0:
            self.fitter = ScheduleFitter(config, self.elapsed_before, dist_info.enabled)
            self.end = min(self.end, self.schedule_steps)

    def batches(self) -> Iterator[dict[str, torch.Tensor]]:
        """The batch stream; a resumed run continues with fresh samples (pass counter = step)."""
        seed = self.config.seed + 1000 * self.dist_info.rank
        return _batches(self.dataset, self.config, seed, self.step, self.dist_info)

    def train_step(self, batch: Mapping[str, torch.Tensor]) -> tuple[Any, float]:
        """One optimizer step on ``batch``.

        Returns:
            The loss terms and the gradient norm before clipping (NaN without clipping).

        Raises:
            TrainingError: the loss is not finite.
        """
        config, device = self.config, self.device
        fmt = self.memory_format
        rgb = batch["rgb"].to(device, non_blocking=True).contiguous(memory_format=fmt)
        lr_up = (
            batch["depth_lr_up_norm"].to(device, non_blocking=True).contiguous(memory_format=fmt)
        )
        target = batch["depth_hr_norm"].to(device, non_blocking=True)
        mask = batch["mask_valid"].to(device, non_blocking=True)
        self.train_model.train()
        terms = self.criterion(self.train_model(rgb, lr_up), target, mask)
        self.optimizer.zero_grad(set_to_none=True)
        terms.total.backward()
        grad_norm = (
            float(nn.utils.clip_grad_norm_(self.train_model.parameters(), config.grad_clip))
            if config.grad_clip > 0
            else math.nan
        )
        self.optimizer.step()
        self.scheduler.step()
        if self.average is not None:
            self.average.update(self.model)
        self.step += 1
        self.steps_window += 1
        loss_value = float(terms.total.detach())
        if not math.isfinite(loss_value):
            raise TrainingError(
                f"training diverged at step {self.step} (loss {loss_value}); lower train.lr"
                f" (now {config.lr}) or raise train.grad_clip"
            )
        self.losses.append(loss_value)
        return terms, grad_norm

    def fit_schedule(self) -> None:
        """Under ``time_budget_s``: shorten the schedule (all ranks agree) when it is due."""
        if self.fitter is None or not self.fitter.due(self.step):
            return
        estimate = self.fitter.estimate(self.step)
        self.schedule_steps = _agree_min(
            min(self.schedule_steps, estimate), self.dist_info, self.device
        )
        self.end = min(self.end, self.schedule_steps)

    def log_train(self, terms: Any, grad_norm: float) -> None:
        """Write the step's row to the log every ``log_every`` steps and at the end (rank 0)."""
        if self.logger is None:
            return
        if not (self.step % self.config.log_every == 0 or self.step == self.end):
            return
        now = time.perf_counter()
        self.logger.log(
            self.step,
            "train",
            loss=self.losses[-1],
            loss_sr=terms.sr,
            loss_mde=terms.mde,
            lr=self.optimizer.param_groups[0]["lr"],
            grad_norm=grad_norm,
            steps_per_s=self.steps_window / max(now - self.t_window, 1e-9),
            elapsed_s=self.elapsed_before + now - self.t_start,
        )
        self.t_window, self.steps_window = now, 0

    def validate(self) -> str | None:
        """Validate when due (rank 0), log, and save ``best.pt`` on a new best score.

        Returns:
            A line for the progress bar, or None when no validation ran.
        """
        config, validator = self.config, self.validator
        due = (config.val_every > 0 and self.step % config.val_every == 0) or self.step == self.end
        if validator is None or not due or not self.dist_info.is_main:
            return None
        t_val = time.perf_counter()
        metrics = _score(validator, self.kept_model)
        self.last_metrics = metrics
        score = float(metrics[config.val.metric])
        self._log_val("val", metrics)
        if self.average is not None:  # the trained weights themselves, for comparison
            self._log_val("val_raw", _score(validator, self.model))
        if self.fitter is not None:
            self.fitter.val_seconds = time.perf_counter() - t_val
        line = (
            f"step {self.step}: val rmse {metrics['rmse']:.4f} m, "
            f"mae {metrics['mae']:.4f} m (best {min(self.best, score):.4f})"
        )
        if score < self.best:
            self.best = score
            _save_model(self.out / "best.pt", self.kept_model, self.metadata())
        return line

    def _log_val(self, kind: str, metrics: Mapping[str, float]) -> None:
        """One validation row (``val`` or ``val_raw``) of the CSV log."""
        assert self.logger is not None
        self.logger.log(
            self.step,
            kind,
            val_rmse_m=float(metrics["rmse"]),
            val_mae_m=float(metrics["mae"]),
            elapsed_s=self.elapsed(),
        )

    def save(self) -> None:
        """Write ``state.pt`` and ``last.pt`` every ``checkpoint_every`` steps and at the end."""
        if not self.dist_info.is_main:
            return
        if not (self.step % self.config.checkpoint_every == 0 or self.step == self.end):
            return
        _save_state(
            self.out / "state.pt",
            {
                "format": STATE_FORMAT,
                "variant": self.config.variant,
                "step": self.step,
                "best": self.best,
                "schedule_steps": self.schedule_steps,
                "elapsed_s": self.elapsed(),
                "model": _unwrap(self.train_model).state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "ema": self.average.state_dict() if self.average is not None else None,
            },
        )
        _save_model(self.out / "last.pt", self.kept_model, self.metadata())

    def metadata(self) -> dict[str, Any]:
        """The metadata of a saved checkpoint: config, step, last validation, timing."""
        config, metrics = self.config, self.last_metrics
        return {
            "train_config": to_mapping(config),
            "step": self.step,
            "val_metrics_m": dict(metrics) if metrics else None,
            "val_set": config.val.set,
            "val_split": config.val.split,
            "val_scales": list(config.val.scales),
            "train_time_s": self.elapsed(),
            "world_size": self.dist_info.world_size,
            "distributed": self.dist_info.enabled,
            "schedule_steps": self.schedule_steps,
        }


class GracefulStop:
    """Turns SIGINT/SIGTERM and a wall-clock limit into "stop after this step, saved".

    Use as a context manager around the loop; handlers are installed only in the main thread
    (elsewhere only the wall-clock limit applies) and restored on exit. A second signal while
    stopping raises ``KeyboardInterrupt`` as usual.

    Args:
        wall_limit_s: stop once this many seconds have passed since ``t_start`` (``None``: no
            limit). Unlike ``time_budget_s`` it does not change the LR schedule, so a long
            schedule can be trained in sessions of fixed length.
        t_start: ``time.perf_counter()`` at the start of the call.
    """

    def __init__(self, wall_limit_s: float | None, t_start: float) -> None:
        self.wall_limit_s = wall_limit_s
        self.t_start = t_start
        self.signalled: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> GracefulStop:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.signalled is not None:
            raise KeyboardInterrupt
        self.signalled = signum
        log.warning("signal %d: stopping after this step (saved); again to abort", signum)

    def requested(self) -> bool:
        """True once a signal arrived or the wall-clock limit passed."""
        over = self.wall_limit_s is not None and (
            time.perf_counter() - self.t_start >= self.wall_limit_s
        )
        return self.signalled is not None or over


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    max_steps: int | None = None,
    wall_limit_s: float | None = None,
    dataset: Dataset[Any] | None = None,
    validator: Validator | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a model as described by ``config``.

    Args:
        config: the run's configuration.
        out_dir: run folder (created).
        resume: continue from ``out_dir/state.pt``.
        max_steps: stop after this step (counted from 0 across resumes) even if
            ``config.steps`` is larger; the LR schedule still spans ``config.steps``.
        wall_limit_s: stop after the step during which this many seconds have passed
            (validated and saved, resumable); SIGINT/SIGTERM stop the same way. The LR
            schedule is not changed (see :class:`GracefulStop`).
        dataset: training samples (the contract's dict of tensors); default
            ``build_dataset(config.data)``.
        validator: validation function; default: real-data validation from ``config.val``
            (none when ``config.val.set`` is empty).
        progress: show a tqdm progress bar (rank 0).

    Returns:
        The final step, best score, per-step losses and wall time.

    Raises:
        CheckpointError: if ``resume`` is set but the state is missing or unreadable.
        ConfigError: on an inconsistent configuration.
        TrainingError: if the loss stops being finite.
    """
    from tqdm import tqdm

    t_start = time.perf_counter()
    device, dist_info, owned_group = _setup_device(config)
    run = _Run(config, Path(out_dir), device, dist_info, dataset, validator, t_start)
    if resume:
        run.resume()
    run.start(max_steps)
    batches = run.batches()
    bar = tqdm(
        total=run.end,
        initial=run.step,
        disable=not (progress and dist_info.is_main),
        desc=f"train {config.variant}",
        dynamic_ncols=True,
        mininterval=2.0,
    )
    try:
        with GracefulStop(wall_limit_s if dist_info.world_size == 1 else None, t_start) as stop:
            _loop(run, batches, bar, stop, dist_info)
    finally:
        bar.close()
        if run.logger is not None:
            run.logger.close()
        cleanup_distributed(dist_info, owned=owned_group)
    return TrainResult(run.out, run.step, run.best, run.losses, time.perf_counter() - t_start)


def _loop(
    run: _Run,
    batches: Iterator[dict[str, torch.Tensor]],
    bar: Any,
    stop: GracefulStop,
    dist_info: DistInfo,
) -> None:
    """The step loop: train, log, validate when due, save; a stop request ends it saved."""
    while run.step < run.end:
        terms, grad_norm = run.train_step(next(batches))
        run.fit_schedule()
        if stop.requested():
            run.end = run.step  # the last step: validated and saved below
        bar.total = run.end
        bar.update(1)
        bar.set_postfix(loss=f"{run.losses[-1]:.4f}", refresh=False)
        run.log_train(terms, grad_norm)
        line = run.validate()
        if line is not None:
            bar.write(line)
        run.save()
        barrier(dist_info)
