# SPDX-License-Identifier: Apache-2.0
"""Training losses: masked L1 on the SR output and on the monocular-depth (MDE) output.

Both heads are supervised by the *same* high-resolution ground truth (the BridgeNet paper's
premise: no extra labels). Invalid ground-truth pixels (``mask_valid == 0``) contribute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bridgenet_ros.errors import ShapeError

__all__ = ["BridgeNetLoss", "LossTerms", "masked_l1"]


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the pixels where ``mask`` is 1.

    Args:
        pred: ``(B, 1, H, W)`` prediction (normalized depth).
        target: ``(B, 1, H, W)`` ground truth in the same frame.
        mask: ``(B, 1, H, W)`` float 0/1 (or bool) validity mask.

    Returns:
        A scalar tensor; 0 (with a gradient path) if the mask is empty.

    Raises:
        ShapeError: if the shapes differ.
    """
    if pred.shape != target.shape or pred.shape != mask.shape:
        raise ShapeError(
            f"masked_l1 needs equal shapes, got pred {tuple(pred.shape)}, target"
            f" {tuple(target.shape)}, mask {tuple(mask.shape)}"
        )
    weight = mask.to(pred.dtype)
    # NaN targets on masked-out pixels must not leak through 0 * NaN
    target = torch.where(weight > 0, target, pred.detach())
    total = (torch.abs(pred - target) * weight).sum()
    return total / weight.sum().clamp_min(1.0)


@dataclass(frozen=True)
class LossTerms:
    """The loss and its parts (detached floats for logging)."""

    total: torch.Tensor
    sr: float
    mde: float


class BridgeNetLoss(nn.Module):
    """``L = L1(depth_sr, gt) + mde_weight * L1(depth_mde, gt)``, masked.

    Args:
        mde_weight: weight of the MDE term (ignored when the model has no MDE head).
    """

    def __init__(self, mde_weight: float = 1.0) -> None:
        super().__init__()
        self.mde_weight = float(mde_weight)

    def forward(  # type: ignore[override]
        self, outputs: tuple[torch.Tensor, ...], target: torch.Tensor, mask: torch.Tensor
    ) -> LossTerms:
        """Compute the loss.

        Args:
            outputs: the model's output tuple ``(depth_sr_norm,)`` or
                ``(depth_sr_norm, depth_mde_norm)``, each ``(B, 1, H, W)``.
            target: ``(B, 1, H, W)`` normalized ground truth ``depth_hr_norm``.
            mask: ``(B, 1, H, W)`` float 0/1 validity mask.

        Returns:
            The total loss (for backward) and its detached parts.
        """
        sr = masked_l1(outputs[0], target, mask)
        total = sr
        mde_value = 0.0
        if len(outputs) > 1 and outputs[1] is not None and self.mde_weight > 0:
            mde = masked_l1(outputs[1], target, mask)
            total = total + self.mde_weight * mde
            mde_value = float(mde.detach())
        return LossTerms(total=total, sr=float(sr.detach()), mde=mde_value)
