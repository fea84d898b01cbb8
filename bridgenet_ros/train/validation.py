# SPDX-License-Identifier: Apache-2.0
"""Validation during training: the in-memory model through the runtime pipeline on real data.

The frames (validation split of ``val.set``, LR by the literature's bicubic protocol at each of
``val.scales``) are read once; every call wraps the current model in a ``TorchBackend`` and
scores it with :func:`bridgenet_ros.eval.evaluate.evaluate_frames` in metres, so validation
numbers are computed by the same code as ``bridgenet eval`` and the ROS node.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from torch import nn

from bridgenet_ros.train.config import ValConfig

__all__ = ["build_validator"]


def build_validator(
    config: ValConfig, device: torch.device, root: str | None = None
) -> Validator:
    """Load the validation frames and return ``validator(model) -> {"rmse", "mae"}`` (metres).

    Args:
        config: the validation settings.
        device: where the model runs.
        root: data root of named sets (default ``../shared/data``).

    Returns:
        A callable averaging RMSE and MAE (metres) over images and then over scales.

    Raises:
        DataError: if the validation data cannot be read.
    """
    from bridgenet_ros.eval.evaluate import load_eval_frames

    frames_by_scale = {
        float(scale): load_eval_frames(
            config.set, scale=float(scale), split=config.split, root=root,
            limit=config.max_images,
        )[0]
        for scale in config.scales
    }
    return Validator(frames_by_scale, config.crop, device)


class Validator:
    """Callable scoring a model on fixed validation frames (see :func:`build_validator`)."""

    def __init__(self, frames_by_scale: Mapping[float, list], crop: int, device: torch.device):
        self.frames_by_scale = frames_by_scale
        self.crop = crop
        self.device = device

    def __call__(self, model: nn.Module) -> dict[str, float]:
        """Mean RMSE/MAE in metres over scales (each a per-image mean) plus per-scale RMSE."""
        from bridgenet_ros.eval.evaluate import ModelMethod, evaluate_frames
        from bridgenet_ros.runtime.backends.torch_backend import TorchBackend
        from bridgenet_ros.runtime.pipeline import DepthSRPipeline

        was_training = model.training
        backend = TorchBackend("<training>", device=str(self.device), model=model)
        method = ModelMethod("model", DepthSRPipeline(backend))
        result: dict[str, float] = {}
        rmses, maes = [], []
        for scale, frames in self.frames_by_scale.items():
            report = evaluate_frames(frames, [method], baselines=(), scale=scale, crop=self.crop)
            rmses.append(report.methods["model"]["rmse"])
            maes.append(report.methods["model"]["mae"])
            result[f"rmse_x{scale:g}"] = report.methods["model"]["rmse"]
        model.train(was_training)
        result["rmse"] = float(np.mean(rmses))
        result["mae"] = float(np.mean(maes))
        return result
