# SPDX-License-Identifier: Apache-2.0
"""Training loop: a tiny model overfits a fixed batch, resume continues, CLI, DDP world size 1."""

from __future__ import annotations

import math
import socket
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch.utils.data import Dataset

from bridgenet_ros.cli.main import main
from bridgenet_ros.errors import CheckpointError, ConfigError, TrainingError
from bridgenet_ros.model import load_checkpoint, load_model
from bridgenet_ros.train.config import TrainConfig, ValConfig
from bridgenet_ros.train.logging import read_csv_log
from bridgenet_ros.train.trainer import estimate_schedule_steps, train

SIZE = 16  # the test variant's stride: the smallest image it takes


class FixedBatch(Dataset[dict[str, torch.Tensor]]):
    """Always the same two samples: a blurred step edge as input, the sharp edge as target."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        x = torch.linspace(0, 1, SIZE).view(1, SIZE).expand(SIZE, SIZE)
        sharp = (x > 0.5).float()
        blurred = torch.sigmoid((x - 0.5) * 8.0)
        rgb = torch.stack([sharp, 1 - sharp, 0.5 * torch.ones_like(sharp)])
        self.items = []
        for flip in (False, True):
            s, b, r = (
                (sharp, blurred, rgb)
                if not flip
                else (sharp.flip(-1), blurred.flip(-1), rgb.flip(-1))
            )
            mask = torch.ones(1, SIZE, SIZE)
            mask[0, 0, :4] = 0.0  # a few invalid target pixels
            self.items.append(
                {
                    "rgb": (r + 0.02 * torch.rand(r.shape, generator=gen)).clamp(0, 1),
                    "depth_lr_up_norm": b[None].clone(),
                    "depth_hr_norm": s[None].clone(),
                    "mask_valid": mask,
                    "depth_range": torch.tensor([1.0, 2.0]),
                    "scale": torch.tensor(4.0),
                }
            )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.items[index]


def tiny_config(**overrides: Any) -> TrainConfig:
    base: dict[str, Any] = dict(
        variant="test",
        val=ValConfig(set=""),
        steps=40,
        batch_size=2,
        lr=3e-3,
        warmup_steps=0,
        schedule="constant",
        grad_clip=5.0,
        val_every=0,
        log_every=1,
        checkpoint_every=20,
        device="cpu",
        threads=1,
        mde_weight=0.5,
    )
    base.update(overrides)
    return TrainConfig(**base)


def test_loss_falls_on_a_fixed_batch(tmp_path: Path) -> None:
    result = train(tiny_config(), tmp_path, dataset=FixedBatch(), progress=False)
    first = sum(result.losses[:5]) / 5
    last = sum(result.losses[-5:]) / 5
    assert result.step == 40
    assert last < 0.6 * first, (first, last)
    rows = read_csv_log(tmp_path / "log.csv")
    assert [int(r["step"]) for r in rows if r["kind"] == "train"] == list(range(1, 41))
    model = load_model(tmp_path / "last.pt")
    assert model.metadata["step"] == 40
    assert model.metadata["train_config"]["variant"] == "test"


def test_channels_last_trains_the_same_steps(tmp_path: Path) -> None:
    """NHWC memory changes speed, not the arithmetic (up to float rounding)."""
    runs = {}
    for flag in (True, False):
        config = tiny_config(steps=4, channels_last=flag)
        runs[flag] = train(config, tmp_path / str(flag), dataset=FixedBatch(), progress=False)
    np.testing.assert_allclose(runs[True].losses, runs[False].losses, rtol=1e-4)
    saved = torch.load(tmp_path / "True" / "state.pt", weights_only=True)
    weights = [v for k, v in saved["model"].items() if v.ndim == 4 and v.shape[-1] > 1]
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)


def test_validation_keeps_best_checkpoint(tmp_path: Path) -> None:
    scores = iter([0.5, 0.2, 0.3])

    def validator(model: torch.nn.Module) -> dict[str, float]:
        value = next(scores)
        return {"rmse": value, "mae": value / 2}

    result = train(
        tiny_config(steps=6, val_every=2),
        tmp_path,
        dataset=FixedBatch(),
        validator=validator,
        progress=False,
    )
    assert result.best_score == pytest.approx(0.2)
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["metadata"]["step"] == 4
    assert best["metadata"]["val_metrics_m"]["rmse"] == pytest.approx(0.2)
    vals = [r for r in read_csv_log(tmp_path / "log.csv") if r["kind"] == "val"]
    assert [int(r["step"]) for r in vals] == [2, 4, 6]


def test_resume_continues_step_count_and_optimizer(tmp_path: Path) -> None:
    config = tiny_config(steps=6, schedule="cosine", warmup_steps=2, checkpoint_every=3)
    first = train(config, tmp_path, max_steps=3, dataset=FixedBatch(), progress=False)
    assert first.step == 3
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 3 and state["scheduler"]["last_epoch"] == 3
    assert state["optimizer"]["state"], "optimizer moments must be saved"
    second = train(config, tmp_path, resume=True, dataset=FixedBatch(), progress=False)
    assert second.step == 6 and len(second.losses) == 3
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["scheduler"]["last_epoch"] == 6
    steps = [int(r["step"]) for r in read_csv_log(tmp_path / "log.csv") if r["kind"] == "train"]
    assert steps == list(range(1, 7))
    # AdamW step counters continued rather than restarting at 0
    assert all(float(s["step"]) == 6 for s in state["optimizer"]["state"].values())


class SlowBatch(FixedBatch):
    """``FixedBatch`` that takes 10 ms per sample, like a data loader on a slow machine."""

    def __len__(self) -> int:
        return 64

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        time.sleep(0.01)
        return self.items[index % 2]


def test_schedule_estimate_fits_the_budget() -> None:
    config = tiny_config(steps=10_000, time_budget_s=100.0)
    # 40 s left after a 10 s reserve at 20 steps/s -> 800 more steps
    assert estimate_schedule_steps(config, 100, 20.0, 50.0, 10.0) == 900
    assert estimate_schedule_steps(config, 100, 1e6, 0.0, 0.0) == 10_000  # never beyond steps
    assert estimate_schedule_steps(config, 100, 20.0, 120.0, 10.0) == 101  # over budget: stop


@pytest.mark.slow  # waits for its wall-clock budget by design
def test_time_budget_shortens_the_schedule_and_ends_saved(tmp_path: Path) -> None:
    config = tiny_config(
        steps=100_000,
        time_budget_s=4.0,
        schedule="cosine",
        warmup_steps=5,
        min_lr_ratio=0.1,
        log_every=1,
        checkpoint_every=1000,
    )
    t0 = time.perf_counter()
    result = train(config, tmp_path, dataset=SlowBatch(), progress=False)
    wall = time.perf_counter() - t0
    assert 20 < result.step < 2000, result.step  # re-estimated, far short of 100k steps
    assert wall < config.time_budget_s + 20.0, wall
    rows = [r for r in read_csv_log(tmp_path / "log.csv") if r["kind"] == "train"]
    assert int(rows[-1]["step"]) == result.step
    # the cosine reached its end: the last step ran at the final learning rate
    assert float(rows[-1]["lr"]) == pytest.approx(config.lr * config.min_lr_ratio, rel=1e-6)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == state["schedule_steps"] == result.step
    assert load_model(tmp_path / "last.pt").metadata["schedule_steps"] == result.step
    with pytest.raises(ConfigError, match="time_budget_s"):
        tiny_config(time_budget_s=-1.0)


def test_init_checkpoint_fine_tunes_from_its_weights(tmp_path: Path) -> None:
    first = train(tiny_config(steps=30), tmp_path / "a", dataset=FixedBatch(), progress=False)
    config = tiny_config(steps=3, lr=1e-9, init_checkpoint=str(tmp_path / "a" / "last.pt"))
    tuned = train(config, tmp_path / "b", dataset=FixedBatch(), progress=False)
    # with a ~0 learning rate the loss continues where the first run ended, not from scratch
    fresh = train(
        tiny_config(steps=3, lr=1e-9), tmp_path / "c", dataset=FixedBatch(), progress=False
    )
    assert tuned.losses[0] < 0.8 * fresh.losses[0], (tuned.losses, fresh.losses)
    assert abs(tuned.losses[0] - first.losses[-1]) < 0.2 * first.losses[-1]
    meta = load_model(tmp_path / "b" / "last.pt").metadata
    assert meta["train_config"]["init_checkpoint"].endswith("last.pt")
    with pytest.raises(ConfigError, match="variant"):
        train(
            tiny_config(variant="lite", init_checkpoint=str(tmp_path / "a" / "last.pt")),
            tmp_path / "d",
            dataset=FixedBatch(),
            progress=False,
        )


def test_diverged_loss_is_a_training_error(tmp_path: Path) -> None:
    dataset = FixedBatch()
    for item in dataset.items:
        item["depth_hr_norm"][0, 8, 8] = math.nan  # a NaN target under a valid mask
    with pytest.raises(TrainingError, match="diverged at step 1") as err:
        train(tiny_config(steps=2), tmp_path, dataset=dataset, progress=False)
    assert not isinstance(err.value, ConfigError)  # a run-time failure, not a bad config


def test_resume_without_state_fails(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="state.pt"):
        train(tiny_config(), tmp_path, resume=True, dataset=FixedBatch(), progress=False)


def test_cli_train_on_synthetic_data(
    tmp_path: Path, tiny_train_yaml: Callable[[str], Path]
) -> None:
    config = tiny_train_yaml("steps: 3\n")
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--out", str(out), "--no-progress"]) == 0
    assert load_model(out / "last.pt").metadata["step"] == 3
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "x"), "--resume"]) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ddp_world_size_one_like_torchrun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The torchrun environment (RANK, WORLD_SIZE, ...) starts a gloo group and wraps in DDP."""
    for key, value in {
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }.items():
        monkeypatch.setenv(key, value)
    result = train(tiny_config(steps=2), tmp_path, dataset=FixedBatch(), progress=False)
    assert result.step == 2 and all(math.isfinite(v) for v in result.losses)
    meta = load_checkpoint(tmp_path / "last.pt")["metadata"]
    assert meta["distributed"] is True and meta["world_size"] == 1
    # the group the trainer created is destroyed again
    assert not dist.is_initialized()
    # the DDP-wrapped model was unwrapped before saving: keys have no "module." prefix
    assert not any(
        k.startswith("module.") for k in load_checkpoint(tmp_path / "last.pt")["state_dict"]
    )


def _tiny_val_set(root: Path) -> Path:
    """Two 64x48 RGB-D frames (depth PNG in mm, 1-2 m) in the folder format under ``root``."""
    import numpy as np
    from PIL import Image

    (root / "rgb").mkdir(parents=True)
    (root / "depth").mkdir(parents=True)
    y, x = np.mgrid[0:48, 0:64]
    for i in range(2):
        depth_mm = 1000 + 8 * x + 4 * y + 400 * (x > 30 + 4 * i)
        Image.fromarray(depth_mm.astype(np.uint16)).save(root / "depth" / f"2020010{i}120000.png")
        rgb = np.stack([(x * 4) % 256, (y * 5) % 256, 128 + 0 * x], -1).astype(np.uint8)
        Image.fromarray(rgb).save(root / "rgb" / f"2020010{i}120000.png")
    return root


def test_validation_with_the_sensor_model_scores_clean_and_noisy_lr(tmp_path: Path) -> None:
    """``val.sensor_model``: each scale scored on clean and noisy LR; the mean covers both."""
    from bridgenet_ros.model import create_model
    from bridgenet_ros.train.validation import build_validator

    _tiny_val_set(tmp_path / "set")
    sensor = tmp_path / "sensor.yaml"
    sensor.write_text("noise_a_m: 0.02\nnoise_b_per_m: 0.0\n")
    config = ValConfig(
        set=str(tmp_path / "set"), split="all", scales=(4.0,), crop=2, sensor_model=str(sensor)
    )
    validator = build_validator(config, torch.device("cpu"))
    model = create_model("test").eval()
    with torch.no_grad():
        metrics = validator(model)
    assert set(metrics) == {"rmse", "mae", "rmse_x4", "rmse_noisy_x4"}
    assert metrics["rmse_noisy_x4"] > metrics["rmse_x4"]  # 2 cm of noise cannot help
    assert metrics["rmse"] == pytest.approx((metrics["rmse_x4"] + metrics["rmse_noisy_x4"]) / 2)
    with torch.no_grad():
        assert validator(model) == metrics  # seeded: the same noisy LR every time
    clean = build_validator(
        ValConfig(set=str(tmp_path / "set"), split="all", scales=(4.0,), crop=2),
        torch.device("cpu"),
    )
    with torch.no_grad():
        assert set(clean(model)) == {"rmse", "mae", "rmse_x4"}


def test_validation_with_extra_sensor_models_scores_each_protocol(
    tmp_path: Path, repo_root: Path
) -> None:
    """``val.extra_sensor_models``: one more protocol per file, named after it, in the mean."""
    from bridgenet_ros.model import create_model
    from bridgenet_ros.train.validation import build_validator

    holes = repo_root / "config" / "sensor_model_tof_holes.yaml"
    config = ValConfig(
        set=str(_tiny_val_set(tmp_path / "set")),
        split="all",
        scales=(4.0,),
        crop=2,
        sensor_model=str(repo_root / "config" / "sensor_model_tof.yaml"),
        extra_sensor_models=(str(holes),),
    )
    validator = build_validator(config, torch.device("cpu"))
    assert list(validator.frames_by_name) == ["x4", "noisy_x4", "tof_holes_x4"]
    noisy, holed = validator.frames_by_name["noisy_x4"], validator.frames_by_name["tof_holes_x4"]
    assert any(
        not np.array_equal(a.depth_lr, b.depth_lr, equal_nan=True) for a, b in zip(noisy, holed)
    )
    with torch.no_grad():
        metrics = validator(create_model("test").eval())
    terms = [metrics[f"rmse_{name}"] for name in ("x4", "noisy_x4", "tof_holes_x4")]
    assert metrics["rmse"] == pytest.approx(sum(terms) / 3)
    with pytest.raises(ConfigError, match="distinct file names"):
        ValConfig(extra_sensor_models=(str(holes), str(tmp_path / "sensor_model_tof_holes.yaml")))


def test_validation_with_the_lidar_sensor_model(tmp_path: Path, repo_root: Path) -> None:
    """``val.sensor_model: config/sensor_model_lidar.yaml``: noisy frames are beam rows."""
    from bridgenet_ros.model import create_model
    from bridgenet_ros.train.validation import build_validator

    config = ValConfig(
        set=str(_tiny_val_set(tmp_path / "set")),
        split="all",
        scales=(4.0,),
        crop=2,
        sensor_model=str(repo_root / "config" / "sensor_model_lidar.yaml"),
    )
    validator = build_validator(config, torch.device("cpu"))
    for frame in validator.frames_by_name["noisy_x4"]:
        rows_with_returns = (frame.depth_lr > 0).any(axis=1)
        assert rows_with_returns.any() and not rows_with_returns.all()
    with torch.no_grad():
        metrics = validator(create_model("test").eval())
    assert math.isfinite(metrics["rmse_noisy_x4"]) and metrics["rmse_noisy_x4"] > 0


def test_wall_limit_stops_saved_without_touching_the_schedule(tmp_path: Path) -> None:
    """``wall_limit_s``: stop after the current step, saved and resumable, schedule unchanged."""
    config = tiny_config(steps=10_000, schedule="cosine", warmup_steps=2, checkpoint_every=1000)
    first = train(config, tmp_path, wall_limit_s=0.0, dataset=FixedBatch(), progress=False)
    assert first.step == 1  # one step, then the limit (already passed) stops the run
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 1 and state["schedule_steps"] == 10_000  # saved off-cadence
    second = train(
        config, tmp_path, resume=True, max_steps=3, dataset=FixedBatch(), progress=False
    )
    assert second.step == 3


def test_sigterm_stops_after_the_step_saved(tmp_path: Path) -> None:
    import os
    import signal

    class SignalOnThirdSample(FixedBatch):
        calls = 0

        def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
            type(self).calls += 1
            if type(self).calls == 3:
                os.kill(os.getpid(), signal.SIGTERM)
            return super().__getitem__(index)

    previous = signal.getsignal(signal.SIGTERM)
    config = tiny_config(steps=50, batch_size=1, checkpoint_every=1000)
    result = train(config, tmp_path, dataset=SignalOnThirdSample(), progress=False)
    assert 3 <= result.step < 50
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == result.step
    assert signal.getsignal(signal.SIGTERM) is previous  # handler restored


def test_weight_average_ramps_then_follows_the_decay() -> None:
    from bridgenet_ros.train.ema import WeightAverage

    model = torch.nn.Linear(2, 1)
    torch.nn.init.zeros_(model.weight)
    average = WeightAverage(model, decay=0.9)
    assert average.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0)
    expected = 0.0
    for _ in range(100):  # the ramp reaches 0.9 after 80 updates
        with torch.no_grad():
            model.weight.fill_(1.0)
        d = average.current_decay()
        average.update(model)
        expected = d * expected + (1 - d) * 1.0
    assert average.current_decay() == pytest.approx(0.9)
    torch.testing.assert_close(average.model.weight, torch.full((1, 2), expected))
    assert 0.9 < expected < 1.0
    assert not any(p.requires_grad for p in average.model.parameters())
    trained = WeightAverage(model, decay=0.9, ramp=False)  # from trained weights: no ramp
    assert trained.current_decay() == pytest.approx(0.9)
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, decay=1.0)
    with pytest.raises(ConfigError, match="ema_decay"):
        tiny_config(ema_decay=1.0)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["state_dict"]


def test_ema_validates_and_saves_the_average_and_logs_the_raw_weights(tmp_path: Path) -> None:
    scored: list[torch.nn.Module] = []

    def validator(model: torch.nn.Module) -> dict[str, float]:
        scored.append(model)
        return {"rmse": 0.1 * len(scored), "mae": 0.0}

    config = tiny_config(steps=6, val_every=3, checkpoint_every=3, ema_decay=0.9)
    train(config, tmp_path, dataset=FixedBatch(), validator=validator, progress=False)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["ema"]["updates"] == 6
    last, best = _weights(tmp_path / "last.pt"), _weights(tmp_path / "best.pt")
    for name, value in state["ema"]["model"].items():
        torch.testing.assert_close(last[name], value.contiguous())
    changed = [n for n in state["model"] if not torch.equal(state["model"][n], last[n])]
    assert changed, "last.pt must hold the average, not the trained weights"
    assert any(not torch.equal(best[n], last[n]) for n in best)  # best = step 3's average
    rows = read_csv_log(tmp_path / "log.csv")
    assert [(int(r["step"]), r["kind"]) for r in rows if r["kind"].startswith("val")] == [
        (3, "val"),
        (3, "val_raw"),
        (6, "val"),
        (6, "val_raw"),
    ]
    assert scored[0] is not scored[1]  # the average first, then the trained weights


def test_resume_without_an_average_starts_one_from_the_weights(tmp_path: Path) -> None:
    plain = tiny_config(steps=6, checkpoint_every=1)
    train(plain, tmp_path, max_steps=3, dataset=FixedBatch(), progress=False)
    weights_at_3 = torch.load(tmp_path / "state.pt", weights_only=True)["model"]
    averaged = tiny_config(steps=6, checkpoint_every=1, ema_decay=0.5)
    train(averaged, tmp_path, resume=True, max_steps=4, dataset=FixedBatch(), progress=False)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 4 and state["ema"]["updates"] == 1
    # started at the trained step-3 weights, then one update with the full decay (no ramp)
    for name, value in state["ema"]["model"].items():
        expected = 0.5 * weights_at_3[name] + 0.5 * state["model"][name]
        torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-7)
    assert any(not torch.equal(weights_at_3[n], state["model"][n]) for n in weights_at_3)
    train(averaged, tmp_path, resume=True, dataset=FixedBatch(), progress=False)
    assert torch.load(tmp_path / "state.pt", weights_only=True)["ema"]["updates"] == 3
