# SPDX-License-Identifier: Apache-2.0
"""Exponential moving average (EMA) of a model's weights, for validation and saving.

At a small batch and a constant-ish learning rate the optimizer's iterates wander around a
minimum; their running average sits nearer its centre. The campaign's in-loop validation moved
by ±0.0005 m between checks with no trend over thousands of steps (docs/training_log.md), the
kind of noise an average removes. Shipping averaged weights is what this project already did by
hand (the shipped `lite` is the mean of two stages' weights, docs/results.md).

An average that starts from random weights ramps its decay up as ``min(decay, (1 + n) / (10 +
n))`` after ``n`` updates, so it forgets them quickly (the memory, ``1 / (1 - d)`` steps, grows
as about ``n / 9``). One that starts from trained weights (fine-tuning, or a resumed run that had
no average) uses ``decay`` from the first update: its starting point is worth remembering.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

__all__ = ["WeightAverage"]


class WeightAverage:
    """An EMA copy of ``model``'s parameters (buffers are copied as they are).

    Args:
        model: the trained model (unwrapped, not DDP); the copy keeps its device and memory
            format.
        decay: the EMA decay in (0, 1): after each update ``avg = d·avg + (1 − d)·param``
            with ``d = decay``, or ``d = min(decay, (1 + n) / (10 + n))`` under ``ramp``.
        ramp: ramp the decay up (for an average started from random weights).
    """

    def __init__(self, model: nn.Module, decay: float, ramp: bool = True) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.ramp = ramp
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for param in self.model.parameters():
            param.requires_grad_(False)

    def current_decay(self) -> float:
        """The decay the next update uses (``decay``, or the ramp capped at it)."""
        if not self.ramp:
            return self.decay
        return min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights (call after each step)."""
        weight = 1.0 - self.current_decay()
        averaged = list(self.model.parameters())
        current = [p.detach() for p in model.parameters()]
        if len(averaged) != len(current):
            raise ValueError("the model's parameters do not match the average's")
        for mine, theirs in zip(averaged, current):
            mine.lerp_(theirs, weight)
        for mine, theirs in zip(self.model.buffers(), model.buffers()):
            mine.copy_(theirs)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights and the update count (for a resumable train state)."""
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
