# SPDX-License-Identifier: Apache-2.0
"""Reusable layers of BridgeNet: convolutions, residual blocks, channel and spatial attention.

Every block keeps to operators that the ONNX opset 17 exporters and TensorRT's ONNX parser
support: plain convolutions, ReLU, sigmoid, max/average pooling with fixed kernels, means and
maxima over explicit axes, nearest/bilinear resizing by a factor of 2 and PixelShuffle.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "ChannelAttention",
    "ChannelSpatialFusion",
    "ResBlock",
    "SpatialAttention",
    "conv1x1",
    "conv3x3",
    "make_res_blocks",
    "upsample2x",
]


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """Return a 3×3 convolution with padding 1 (keeps ``H, W`` when ``stride == 1``)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)


def conv1x1(in_channels: int, out_channels: int) -> nn.Conv2d:
    """Return a 1×1 convolution (per-pixel linear map across channels)."""
    return nn.Conv2d(in_channels, out_channels, 1)


def upsample2x(x: Tensor, mode: str = "bilinear") -> Tensor:
    """Upsample ``(B, C, H, W)`` to ``(B, C, 2H, 2W)`` (``bilinear`` or ``nearest``).

    Bilinear uses ``align_corners=False``, which maps to ONNX ``Resize`` with half-pixel
    coordinates that TensorRT supports.
    """
    if mode == "nearest":
        return F.interpolate(x, scale_factor=2.0, mode="nearest")
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class ResBlock(nn.Module):
    """EDSR-style residual block without normalization: ``x + conv(relu(conv(x)))``.

    When ``in_channels != out_channels`` the skip path is a 1×1 convolution.

    Args:
        in_channels: channels of the input ``(B, C_in, H, W)``.
        out_channels: channels of the output ``(B, C_out, H, W)``; defaults to ``in_channels``.
    """

    def __init__(self, in_channels: int, out_channels: int | None = None) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        self.conv1 = conv3x3(in_channels, out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.skip: nn.Module = (
            nn.Identity() if in_channels == out_channels else conv1x1(in_channels, out_channels)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: ``(B, C_in, H, W) -> (B, C_out, H, W)``."""
        return self.skip(x) + self.conv2(F.relu(self.conv1(x)))


def make_res_blocks(channels: int, count: int, in_channels: int | None = None) -> nn.Sequential:
    """Return ``count`` residual blocks of width ``channels`` (the first adapts ``in_channels``).

    With ``count == 0`` and a width change, a single 1×1 convolution adapts the channels.
    """
    in_channels = channels if in_channels is None else in_channels
    layers: list[nn.Module] = []
    if count == 0 and in_channels != channels:
        layers.append(conv1x1(in_channels, channels))
    for i in range(count):
        layers.append(ResBlock(in_channels if i == 0 else channels, channels))
    return nn.Sequential(*layers)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention (CA).

    The squeeze is a mean over ``H, W`` (``ReduceMean`` in ONNX, no adaptive pooling), the
    excitation two 1×1 convolutions with a ReLU between and a sigmoid at the end.

    Args:
        channels: channels ``C`` of the input ``(B, C, H, W)``.
        reduction: ratio of ``C`` to the hidden width (at least 1 hidden channel).
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = conv1x1(channels, hidden)
        self.fc2 = conv1x1(hidden, channels)

    def forward(self, x: Tensor) -> Tensor:
        """Reweight channels: ``(B, C, H, W) -> (B, C, H, W)``."""
        pooled = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(pooled))))


class SpatialAttention(nn.Module):
    """CBAM-style spatial attention (SA).

    The per-pixel mean and maximum over channels are stacked to ``(B, 2, H, W)``, convolved by a
    ``kernel_size`` × ``kernel_size`` convolution to one channel, and a sigmoid of it scales
    every channel of the input.

    Args:
        kernel_size: odd convolution size (7 as in CBAM).
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        """Reweight pixels: ``(B, C, H, W) -> (B, C, H, W)``."""
        stats = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(stats))


class ChannelSpatialFusion(nn.Module):
    """Concatenate two feature maps, apply CA then SA, project to ``out_channels``.

    This is the common tail of both bridges: "concatenate with the features of the other
    branch, then CA and SA" followed by a 1×1 convolution back to the receiving branch's width.

    Args:
        in_channels: channels of the concatenation ``(B, C_a + C_b, H, W)``.
        out_channels: channels of the output.
        reduction: CA hidden-width reduction.
    """

    def __init__(self, in_channels: int, out_channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.ca = ChannelAttention(in_channels, reduction)
        self.sa = SpatialAttention()
        self.proj = conv1x1(in_channels, out_channels)

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """Fuse ``a (B, C_a, H, W)`` and ``b (B, C_b, H, W)`` into ``(B, C_out, H, W)``."""
        return self.proj(self.sa(self.ca(torch.cat([a, b], dim=1))))
