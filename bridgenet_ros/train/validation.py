# SPDX-License-Identifier: Apache-2.0
"""Validation during training: the in-memory model through the runtime pipeline on real data.

The frames (validation split of ``val.set``, LR by the literature's bicubic protocol at each of
``val.scales``, and the same degraded by ``val.sensor_model`` and each of
``val.extra_sensor_models`` when set) are read once; every
call wraps the current model in a ``TorchBackend`` and scores it with
:func:`bridgenet_ros.eval.evaluate.evaluate_frames` in metres, so validation numbers are
computed by the same code as ``bridgenet eval`` and the ROS node.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from bridgenet_ros.train.config import ValConfig, protocol_name

__all__ = ["build_validator"]


def build_validator(config: ValConfig, device: torch.device, root: str | None = None) -> Validator:
    """Load the validation frames and return ``validator(model) -> {"rmse", "mae", ...}`` (m).

    Args:
        config: the validation settings.
        device: where the model runs.
        root: data root of named sets (default ``../shared/data``).

    Returns:
        A callable averaging RMSE and MAE (metres) over images, then over scales and
        protocols (clean LR, and the sensor models' LR when set).

    Raises:
        DataError: if the validation data cannot be read.
        ConfigError: if a sensor model of ``config`` is not a valid sensor-model YAML.
    """
    from bridgenet_ros.eval.evaluate import load_eval_frames

    frames: dict[str, list] = {}
    for prefix, sensor in _protocols(config):
        for scale in config.scales:
            frames[f"{prefix}x{float(scale):g}"] = load_eval_frames(
                config.set,
                scale=float(scale),
                split=config.split,
                root=root,
                limit=config.max_images,
                sensor_model=sensor,
            )[0]
    return Validator(frames, config.crop, device)


def _protocols(config: ValConfig) -> list[tuple[str, Any]]:
    """(frame-set prefix, sensor model or None): clean ``""``, ``noisy_``, then each extra."""
    from bridgenet_ros.data.degradation import load_sensor_model

    protocols: list[tuple[str, Any]] = [("", None)]
    if config.sensor_model:
        protocols.append(("noisy_", load_sensor_model(config.sensor_model)))
    for path in config.extra_sensor_models:
        protocols.append((f"{protocol_name(path)}_", load_sensor_model(path)))
    return protocols


class Validator:
    """Callable scoring a model on fixed validation frames (see :func:`build_validator`)."""

    def __init__(self, frames_by_name: Mapping[str, list], crop: int, device: torch.device):
        self.frames_by_name = frames_by_name
        self.crop = crop
        self.device = device

    def __call__(self, model: nn.Module) -> dict[str, float]:
        """Mean RMSE/MAE in metres over the frame sets (each a per-image mean) + each set's RMSE.

        Keys: ``rmse``, ``mae`` and ``rmse_x4``, ``rmse_noisy_x4``, ... per frame set.
        """
        from bridgenet_ros.eval.evaluate import ModelMethod, evaluate_frames
        from bridgenet_ros.runtime.backends.torch_backend import TorchBackend
        from bridgenet_ros.runtime.pipeline import DepthSRPipeline

        was_training = model.training
        backend = TorchBackend("<training>", device=str(self.device), model=model)
        method = ModelMethod("model", DepthSRPipeline(backend))
        result: dict[str, float] = {}
        rmses, maes = [], []
        for name, frames in self.frames_by_name.items():
            scale = float(name.rsplit("x", 1)[1])
            report = evaluate_frames(frames, [method], baselines=(), scale=scale, crop=self.crop)
            rmses.append(report.methods["model"]["rmse"])
            maes.append(report.methods["model"]["mae"])
            result[f"rmse_{name}"] = report.methods["model"]["rmse"]
        model.train(was_training)
        result["rmse"] = float(np.mean(rmses))
        result["mae"] = float(np.mean(maes))
        return result
