# SPDX-License-Identifier: Apache-2.0
"""DepthSRNet (DSRNet): the depth super-resolution branch of BridgeNet.

Input: the LR depth already bicubic-upsampled to the RGB grid and normalized,
``(B, 1, H, W)``. Output: ``depth_sr_norm = depth_lr_up_norm + decoder(...)``, so a fresh model
starts close to bicubic quality and learns a correction; with ``config.residual_gate`` the
correction is multiplied by a per-pixel gate ``g`` in ``(0, 1)`` predicted from the same decoder
features (``g -> 0`` keeps the up-sampled input).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.model.blocks import ResBlock, conv1x1, conv3x3, make_res_blocks
from bridgenet_ros.model.config import BridgeNetConfig

__all__ = ["GATE_INIT_LOGIT", "DepthSRNet"]

#: initial gate logit: sigmoid(3) = 0.95, so a gate added to a trained model starts nearly open
#: and still gets gradient (g (1 - g) = 0.045).
GATE_INIT_LOGIT = 3.0


class DepthSRNet(nn.Module):
    """DSRNet: head, 3-stage encoder (HABdg inputs), trunk, side path, skip, decoder.

    Layout (resolutions relative to the input):

    * head: 3×3 conv ``1 -> C_h`` ("first conv") + ``dsr_head_blocks`` residual blocks, at 1;
    * encoder stage i (i = 1..3): max-pool ×2 + ``dsr_stage_blocks[i]`` residual blocks, at
      1/2, 1/4, 1/8; an HABdg output is added after each stage when bridges are given;
    * trunk: ``dsr_trunk_blocks`` residual blocks at 1/8;
    * side path: the head and stage 1..3 outputs are carried down to 1/8 by convolutions with
      kernel = stride = 8, 4, 2 (1×1 for stage 3) and summed into the trunk output;
    * ``dsr_post_blocks`` residual blocks, then the "Downsample" skip of the first conv
      (3 × (3×3 conv + max-pool ×2)) is added;
    * decoder: 3 × (3×3 conv + PixelShuffle ×2) to 1/4, 1/2 and 1 (1 channel); steps 1 and 2
      are followed by LeakyReLU(0.2) (a plain ReLU here died in training: with the output
      starting at bicubic, every step-2 unit went negative and the gradient vanished) and
      their outputs feed CGBdg;
    * optional residual gate (``config.residual_gate``): 3×3 conv ``d2 -> 4`` + PixelShuffle ×2
      on the step-2 features, sigmoid, multiplies the step-3 correction;
    * optional refinement head (``config.dsr_refine_channels = C_r > 0``) at full resolution:
      ``[head features, coarse depth_sr_norm, rgb_norm]`` (``C_h + 1 (+ 3)`` channels) through
      3×3 conv ``-> C_r``, LeakyReLU, 3×3 conv ``C_r -> C_r``, LeakyReLU, 3×3 conv ``C_r -> 1``
      (zero-initialized); its output is added to the correction (times the gate). The decoder
      alone builds the correction from half-resolution features; this head lets full-resolution
      RGB and depth edges place it. ``config.dsr_refine_blocks`` residual blocks (second conv
      zero-initialized) sit before its output conv;
    * optional dead band (``config.residual_deadband = t > 0``): the final correction ``r``
      becomes ``r - clip(r, -t, t)``.

    Args:
        config: the network description (only the ``dsr_*`` fields and ``sr_output_scale``
            are used).
    """

    def __init__(self, config: BridgeNetConfig) -> None:
        super().__init__()
        ch = config.dsr_head_channels
        c1, c2, c3 = config.dsr_stage_channels
        ct = config.dsr_trunk_channels
        d1, d2 = config.dsr_decoder_channels
        self.stage_channels: tuple[int, int, int] = (c1, c2, c3)
        self.decoder_channels: tuple[int, int] = (d1, d2)

        self.first_conv = conv3x3(1, ch)
        self.head = make_res_blocks(ch, config.dsr_head_blocks)
        widths_in = (ch, c1, c2)
        self.stages = nn.ModuleList(
            nn.Sequential(
                nn.MaxPool2d(2),
                make_res_blocks(c_out, blocks, in_channels=c_in),
            )
            for c_in, c_out, blocks in zip(widths_in, self.stage_channels, config.dsr_stage_blocks)
        )
        self.trunk = make_res_blocks(ct, config.dsr_trunk_blocks, in_channels=c3)
        self.side = nn.ModuleList(
            [
                nn.Conv2d(ch, ct, kernel_size=8, stride=8),
                nn.Conv2d(c1, ct, kernel_size=4, stride=4),
                nn.Conv2d(c2, ct, kernel_size=2, stride=2),
                conv1x1(c3, ct),
            ]
        )
        self.post = make_res_blocks(ct, config.dsr_post_blocks)
        self.skip_downsample = nn.Sequential(
            conv3x3(ch, ch),
            nn.ReLU(),
            nn.MaxPool2d(2),
            conv3x3(ch, c1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            conv3x3(c1, ct),
            nn.MaxPool2d(2),
        )
        self.decoder = nn.ModuleList(
            [
                nn.Sequential(conv3x3(ct, 4 * d1), nn.PixelShuffle(2), nn.LeakyReLU(0.2)),
                nn.Sequential(conv3x3(d1, 4 * d2), nn.PixelShuffle(2), nn.LeakyReLU(0.2)),
                nn.Sequential(conv3x3(d2, 4), nn.PixelShuffle(2)),
            ]
        )
        last = self.decoder[2]
        assert isinstance(last, nn.Sequential) and isinstance(last[0], nn.Conv2d)
        last[0].weight.data.mul_(float(config.sr_output_scale))
        assert last[0].bias is not None
        last[0].bias.data.zero_()
        self.gate: nn.Sequential | None = None
        if config.residual_gate:
            self.gate = nn.Sequential(conv3x3(d2, 4), nn.PixelShuffle(2))
            gate_conv = self.gate[0]
            assert isinstance(gate_conv, nn.Conv2d) and gate_conv.bias is not None
            gate_conv.weight.data.mul_(0.1)
            gate_conv.bias.data.fill_(GATE_INIT_LOGIT)
        self.deadband = float(config.residual_deadband)
        self.refine: nn.Sequential | None = None
        self.refine_blocks: nn.Sequential | None = None
        if config.dsr_refine_channels > 0:
            self.refine = _refine_head(ch + 1 + (3 if config.use_mde else 0), config)
        if config.dsr_refine_blocks > 0:
            self.refine_blocks = _identity_res_blocks(
                config.dsr_refine_channels, config.dsr_refine_blocks
            )

    def forward(
        self,
        depth_lr_up_norm: Tensor,
        guidance: Sequence[Tensor] | None = None,
        bridges: nn.ModuleList | None = None,
        rgb_norm: Tensor | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """Super-resolve the upsampled depth, optionally guided through HABdg.

        Args:
            depth_lr_up_norm: ``(B, 1, H, W)`` normalized, ``H, W`` multiples of 8.
            guidance: the MDE encoder features of stages 1..3, ``(B, C_i, H/2^i, W/2^i)``;
                used only with ``bridges``.
            bridges: 3 :class:`HighFreqAttentionBridge` modules, or ``None``.
            rgb_norm: ``(B, 3, H, W)`` mean/std-normalized RGB for the refinement head; needed
                only when the model has both the head and the MDE branch.

        Returns:
            ``(depth_sr_norm (B, 1, H, W), [step1 (B, d1, H/4, W/4), step2 (B, d2, H/2, W/2)])``
            where the list holds the decoder features for CGBdg.

        Raises:
            ShapeError: if ``bridges`` is given without exactly 3 guidance maps.
        """
        if bridges is not None and (guidance is None or len(guidance) != len(self.stages)):
            raise ShapeError(
                f"DSRNet needs {len(self.stages)} MDE guidance maps with HABdg bridges, got "
                f"{0 if guidance is None else len(guidance)}"
            )
        first = self.first_conv(depth_lr_up_norm)
        x = head_features = self.head(F.relu(first))
        side = self.side[0](x)
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if bridges is not None and guidance is not None:
                x = x + bridges[i](x, guidance[i])
            side = side + self.side[i + 1](x)
        x = self.trunk(x) + side
        x = self.post(x) + self.skip_downsample(first)
        step1 = self.decoder[0](x)
        step2 = self.decoder[1](step1)
        residual = self.decoder[2](step2)
        if self.refine is not None:
            refine_in = [head_features, depth_lr_up_norm + residual]
            if rgb_norm is not None:
                refine_in.append(rgb_norm)
            residual = residual + self._refine(torch.cat(refine_in, dim=1))
        if self.gate is not None:
            residual = residual * torch.sigmoid(self.gate(step2))
        if self.deadband > 0.0:
            # = r - clip(r, -t, t) in Relu/Mul/Sub: the deployment graph keeps Clip and Neg out
            residual = F.relu(residual - self.deadband) - F.relu(residual * -1.0 - self.deadband)
        return depth_lr_up_norm + residual, [step1, step2]

    def _refine(self, refine_in: Tensor) -> Tensor:
        """The refinement head's correction, with its residual blocks before the output conv."""
        assert self.refine is not None
        x = refine_in
        for index, layer in enumerate(self.refine):
            if index == len(self.refine) - 1 and self.refine_blocks is not None:
                x = self.refine_blocks(x)
            x = layer(x)
        return x


def _identity_res_blocks(channels: int, count: int) -> nn.Sequential:
    """``count`` residual blocks whose second conv starts at zero: the identity at first."""
    blocks = nn.Sequential(*(ResBlock(channels) for _ in range(count)))
    for block in blocks:
        assert isinstance(block, ResBlock) and block.conv2.bias is not None
        block.conv2.weight.data.zero_()
        block.conv2.bias.data.zero_()
    return blocks


def _refine_head(in_channels: int, config: BridgeNetConfig) -> nn.Sequential:
    """The full-resolution refinement head; its last conv starts at zero (no correction)."""
    width = config.dsr_refine_channels
    head = nn.Sequential(
        conv3x3(in_channels, width),
        nn.LeakyReLU(0.2),
        conv3x3(width, width),
        nn.LeakyReLU(0.2),
        conv3x3(width, 1),
    )
    last = head[4]
    assert isinstance(last, nn.Conv2d) and last.bias is not None
    last.weight.data.zero_()
    last.bias.data.zero_()
    return head
