# SPDX-License-Identifier: Apache-2.0
"""The two bridges between the branches: HABdg (MDE -> DSR) and CGBdg (DSR -> MDE).

See docs/architecture.md for where they attach and for the choices the paper leaves open.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.model.blocks import ChannelSpatialFusion, conv1x1, conv3x3

__all__ = ["ContentGuidanceBridge", "HighFreqAttentionBridge", "high_pass"]


def high_pass(x: Tensor) -> Tensor:
    """High-frequency part of a feature map: ``x`` minus its 3×3 box low-pass.

    The low-pass is a 3×3 average with stride 1; border pixels average only the pixels inside
    the map (``count_include_pad=False``), so a constant map has zero high-frequency content
    everywhere, borders included.

    Args:
        x: features ``(B, C, H, W)``.

    Returns:
        ``(B, C, H, W)``.
    """
    low = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
    return x - low


def _check_same_grid(name: str, a: Tensor, b: Tensor) -> None:
    if torch.jit.is_tracing():
        return
    if a.shape[0] != b.shape[0] or a.shape[-2:] != b.shape[-2:]:
        raise ShapeError(
            f"{name}: the two branches' features must share batch and H, W; got "
            f"{tuple(a.shape)} and {tuple(b.shape)} (check the variant's stage resolutions)"
        )


class HighFreqAttentionBridge(nn.Module):
    """High-frequency attention bridge (HABdg): MDE encoder stage i -> DSR encoder stage i.

    ``A = sigmoid(conv3x3(x_mde - lowpass(x_mde)))`` is a per-pixel, per-channel attention map
    learnt from the high-frequency part of the MDE features; ``G = A * x_mde`` are the refined
    guidance features; ``concat(x_dsr, G)`` passes channel attention (CA), then spatial
    attention (SA), then a 1×1 convolution back to the DSR width. The caller adds the result to
    the DSR features.

    Args:
        dsr_channels: channels of the DSR features (and of the output).
        mde_channels: channels of the MDE features.
        reduction: CA hidden-width reduction.
    """

    def __init__(self, dsr_channels: int, mde_channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.attention = conv3x3(mde_channels, mde_channels)
        self.fusion = ChannelSpatialFusion(dsr_channels + mde_channels, dsr_channels, reduction)

    def forward(self, x_dsr: Tensor, x_mde: Tensor) -> Tensor:
        """Compute the guidance to add to the DSR features.

        Args:
            x_dsr: DSR encoder features ``(B, C_dsr, H, W)``.
            x_mde: MDE encoder features ``(B, C_mde, H, W)`` on the same grid.

        Returns:
            ``(B, C_dsr, H, W)``.

        Raises:
            ShapeError: if the two inputs are not on the same grid.
        """
        _check_same_grid("HABdg", x_dsr, x_mde)
        attention = torch.sigmoid(self.attention(high_pass(x_mde)))
        return self.fusion(x_dsr, attention * x_mde)


class ContentGuidanceBridge(nn.Module):
    """Content guidance bridge (CGBdg): DSR decoder step i -> MDE decoder, the poster's formulas.

    ``M_DSR = conv1x1(Fd_DSR)``, ``M_MDE = conv1x1(Fd_MDE)``,
    ``W_diff = softmax(conv1x1(M_DSR - M_MDE))`` over the **channel** axis (at each pixel the
    weights over the ``C_dsr`` channels sum to 1; see docs/architecture.md for why),
    ``F_cg = Fd_DSR + W_diff * Fd_DSR``; then ``concat(F_cg, Fd_MDE)`` passes CA, SA and a 1×1
    convolution back to the MDE decoder width. The result replaces the MDE decoder features.

    Args:
        dsr_channels: channels ``C_dsr`` of ``Fd_DSR``.
        mde_channels: channels ``C_mde`` of ``Fd_MDE`` (and of the output).
        diff_channels: channels of ``M_DSR`` and ``M_MDE``.
        reduction: CA hidden-width reduction.
    """

    def __init__(
        self, dsr_channels: int, mde_channels: int, diff_channels: int, reduction: int = 4
    ) -> None:
        super().__init__()
        self.embed_dsr = conv1x1(dsr_channels, diff_channels)
        self.embed_mde = conv1x1(mde_channels, diff_channels)
        self.diff = conv1x1(diff_channels, dsr_channels)
        self.fusion = ChannelSpatialFusion(dsr_channels + mde_channels, mde_channels, reduction)

    def content_guidance(self, fd_dsr: Tensor, fd_mde: Tensor) -> Tensor:
        """Return ``F_cg = Fd_DSR + W_diff * Fd_DSR``, shape ``(B, C_dsr, H, W)``."""
        _check_same_grid("CGBdg", fd_dsr, fd_mde)
        w_diff = torch.softmax(self.diff(self.embed_dsr(fd_dsr) - self.embed_mde(fd_mde)), dim=1)
        return fd_dsr + w_diff * fd_dsr

    def forward(self, fd_dsr: Tensor, fd_mde: Tensor) -> Tensor:
        """Fuse the content guidance into the MDE decoder features.

        Args:
            fd_dsr: DSR decoder features ``(B, C_dsr, H, W)``.
            fd_mde: MDE decoder features ``(B, C_mde, H, W)`` on the same grid.

        Returns:
            ``(B, C_mde, H, W)``.

        Raises:
            ShapeError: if the two inputs are not on the same grid.
        """
        return self.fusion(self.content_guidance(fd_dsr, fd_mde), fd_mde)
