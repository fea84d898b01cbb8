# SPDX-License-Identifier: Apache-2.0
"""MonoDepthNet (MDENet): the monocular depth estimation branch of BridgeNet.

Input: the ImageNet-normalized RGB image only (it never sees the depth input). Output:
``depth_mde_norm (B, 1, H, W)`` at full resolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.model.blocks import conv1x1, conv3x3, make_res_blocks, upsample2x
from bridgenet_ros.model.config import BridgeNetConfig

__all__ = ["CrossLevelFusion", "MonoDepthNet"]


class CrossLevelFusion(nn.Module):
    """CLIFF-style cross-level fusion of a deeper decoder feature with an FPN level.

    The deeper feature (already upsampled to the FPN level's grid) gates the FPN level's
    channels with a sigmoid of a 1×1 conv of its spatial mean (the deep, semantic level selects
    which shallow channels to trust), then ``concat(deep, gated)`` passes a 3×3 conv and ReLU.

    Args:
        deep_channels: channels of the deeper decoder feature.
        lateral_channels: channels of the FPN level.
        out_channels: output channels.
    """

    def __init__(self, deep_channels: int, lateral_channels: int, out_channels: int) -> None:
        super().__init__()
        self.gate = conv1x1(deep_channels, lateral_channels)
        self.fuse = conv3x3(deep_channels + lateral_channels, out_channels)

    def forward(self, deep: Tensor, lateral: Tensor) -> Tensor:
        """Fuse ``deep (B, C_d, H, W)`` with ``lateral (B, C_l, H, W)`` into ``(B, C_o, H, W)``."""
        gate = torch.sigmoid(self.gate(deep.mean(dim=(2, 3), keepdim=True)))
        return F.relu(self.fuse(torch.cat([deep, gate * lateral], dim=1)))


class MonoDepthNet(nn.Module):
    """MDENet: stem, 4-stage residual encoder, FPN, 3 cross-level fusion modules, depth head.

    Layout (resolutions relative to the input): stride-2 3×3 conv stem and stage 1 at 1/2;
    stages 2–4 (max-pool ×2 + residual blocks) at 1/4, 1/8, 1/16; 1×1 lateral convs and a
    nearest-neighbour top-down pathway give pyramid levels P1..P4; fusion module k upsamples the
    decoder state ×2 (bilinear) and fuses it with P(4-k), giving 1/8, 1/4, 1/2; CGBdg k
    (k = 1, 2) sits between the upsampling and fusion module k+1; a 3×3 conv + PixelShuffle ×2
    head gives ``depth_mde`` at full resolution.

    Args:
        config: the network description (only the ``mde_*`` fields are used).
    """

    def __init__(self, config: BridgeNetConfig) -> None:
        super().__init__()
        cs = config.mde_stem_channels
        widths = config.mde_stage_channels
        fpn = config.mde_fpn_channels
        dec = config.mde_decoder_channels
        self.stage_channels: tuple[int, int, int, int] = widths
        self.decoder_channels: tuple[int, int, int] = dec

        self.stem = conv3x3(3, cs, stride=2)
        stages: list[nn.Module] = [make_res_blocks(widths[0], config.mde_stage_blocks[0], cs)]
        for i in range(1, 4):
            stages.append(
                nn.Sequential(
                    nn.MaxPool2d(2),
                    make_res_blocks(widths[i], config.mde_stage_blocks[i], widths[i - 1]),
                )
            )
        self.stages = nn.ModuleList(stages)
        self.laterals = nn.ModuleList(conv1x1(w, fpn) for w in widths)
        self.fusions = nn.ModuleList(
            [
                CrossLevelFusion(fpn, fpn, dec[0]),
                CrossLevelFusion(dec[0], fpn, dec[1]),
                CrossLevelFusion(dec[1], fpn, dec[2]),
            ]
        )
        self.head = nn.Sequential(conv3x3(dec[2], 4), nn.PixelShuffle(2))

    def encode(self, rgb_norm: Tensor) -> list[Tensor]:
        """Run the encoder.

        Args:
            rgb_norm: ``(B, 3, H, W)`` normalized RGB, ``H, W`` multiples of 16.

        Returns:
            Stage outputs ``[(B, C_i, H/2^i, W/2^i) for i in 1..4]``.
        """
        x = F.relu(self.stem(rgb_norm))
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features

    def decode(
        self,
        features: Sequence[Tensor],
        dsr_features: Sequence[Tensor] | None = None,
        bridges: nn.ModuleList | None = None,
    ) -> Tensor:
        """Run FPN, fusion modules (with optional CGBdg) and the head.

        Args:
            features: the 4 encoder outputs of :meth:`encode`.
            dsr_features: DSR decoder step 1 and 2 outputs ``(B, d1, H/4, W/4)``,
                ``(B, d2, H/2, W/2)``; used only with ``bridges``.
            bridges: 2 :class:`ContentGuidanceBridge` modules, or ``None``.

        Returns:
            ``depth_mde_norm (B, 1, H, W)``.

        Raises:
            ShapeError: if ``bridges`` is given without exactly 2 DSR decoder features.
        """
        if bridges is not None and (dsr_features is None or len(dsr_features) != 2):
            raise ShapeError(
                "MDENet needs the 2 DSR decoder features with CGBdg bridges, got "
                f"{0 if dsr_features is None else len(dsr_features)}"
            )
        pyramid = [lateral(f) for lateral, f in zip(self.laterals, features)]
        for i in (2, 1, 0):
            pyramid[i] = pyramid[i] + upsample2x(pyramid[i + 1], mode="nearest")
        x = pyramid[3]
        for k, fusion in enumerate(self.fusions):
            x = upsample2x(x)
            if k >= 1 and bridges is not None and dsr_features is not None:
                x = bridges[k - 1](dsr_features[k - 1], x)
            x = fusion(x, pyramid[2 - k])
        return self.head(x)
