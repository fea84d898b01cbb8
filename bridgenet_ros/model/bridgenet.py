# SPDX-License-Identifier: Apache-2.0
"""BridgeNet: DSRNet and MDENet joined by 3 HABdg and 2 CGBdg bridges."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.model.bridges import ContentGuidanceBridge, HighFreqAttentionBridge
from bridgenet_ros.model.config import BridgeNetConfig
from bridgenet_ros.model.dsrnet import DepthSRNet
from bridgenet_ros.model.mdenet import MonoDepthNet

__all__ = ["BridgeNet"]


class BridgeNet(nn.Module):
    """Joint depth super-resolution and monocular depth estimation network.

    Call as ``model(rgb, depth_lr_up_norm)``; see :meth:`forward`. Build with
    :meth:`from_config` or :func:`bridgenet_ros.model.create_model`.

    Args:
        config: the network description.
        dsr: the DSR branch.
        mde: the MDE branch, or ``None`` for the DSR-only ablation.
        habdg: the 3 HABdg bridges, or ``None``.
        cgbdg: the 2 CGBdg bridges, or ``None``.

    Attributes:
        config: the frozen :class:`BridgeNetConfig`.
        stride: ``H`` and ``W`` must be multiples of it (``config.stride``).
        has_mde: whether :meth:`forward` also returns ``depth_mde_norm``.
        metadata: checkpoint metadata (set by :func:`~bridgenet_ros.model.load_model`).
    """

    def __init__(
        self,
        config: BridgeNetConfig,
        dsr: DepthSRNet,
        mde: MonoDepthNet | None = None,
        habdg: nn.ModuleList | None = None,
        cgbdg: nn.ModuleList | None = None,
    ) -> None:
        super().__init__()
        if (habdg is not None or cgbdg is not None) and mde is None:
            raise ShapeError("BridgeNet: bridges need the MDE branch; pass mde= as well")
        if habdg is not None and len(habdg) != 3:
            raise ShapeError(f"BridgeNet needs 3 HABdg bridges, got {len(habdg)}")
        if cgbdg is not None and len(cgbdg) != 2:
            raise ShapeError(f"BridgeNet needs 2 CGBdg bridges, got {len(cgbdg)}")
        self.config = config
        self.stride = config.stride
        self.has_mde = mde is not None
        self.metadata: dict[str, Any] = {}
        self.dsr = dsr
        self.mde = mde
        self.habdg = habdg
        self.cgbdg = cgbdg
        self.rgb_mean: Tensor
        self.rgb_std: Tensor
        self.register_buffer(
            "rgb_mean", torch.tensor(config.rgb_mean).view(1, 3, 1, 1), persistent=False
        )
        self.register_buffer(
            "rgb_std", torch.tensor(config.rgb_std).view(1, 3, 1, 1), persistent=False
        )

    @classmethod
    def from_config(cls, config: BridgeNetConfig) -> BridgeNet:
        """Build the branches and bridges that ``config`` describes and assemble them."""
        dsr = DepthSRNet(config)
        mde = MonoDepthNet(config) if config.use_mde else None
        habdg = cgbdg = None
        if mde is not None and config.use_habdg:
            habdg = nn.ModuleList(
                HighFreqAttentionBridge(c_dsr, c_mde, config.attention_reduction)
                for c_dsr, c_mde in zip(dsr.stage_channels, mde.stage_channels[:3])
            )
        if mde is not None and config.use_cgbdg:
            # CGBdg k meets the MDE decoder state after fusion module k, upsampled ×2.
            cgbdg = nn.ModuleList(
                ContentGuidanceBridge(
                    c_dsr, c_mde, config.cg_diff_channels, config.attention_reduction
                )
                for c_dsr, c_mde in zip(dsr.decoder_channels, mde.decoder_channels[:2])
            )
        return cls(config, dsr, mde, habdg, cgbdg)

    def check_inputs(self, rgb: Tensor, depth_lr_up_norm: Tensor) -> None:
        """Raise :class:`ShapeError` unless the inputs fit the forward contract.

        Skipped while tracing for ONNX export: the exported graph has fixed input shapes that
        onnxruntime and TensorRT check themselves.
        """
        if torch.jit.is_tracing():
            return
        if rgb.dim() != 4 or rgb.shape[1] != 3:
            raise ShapeError(
                f"rgb must be (B, 3, H, W) float in 0..1, got shape {tuple(rgb.shape)}"
            )
        if depth_lr_up_norm.dim() != 4 or depth_lr_up_norm.shape[1] != 1:
            raise ShapeError(
                f"depth_lr_up_norm must be (B, 1, H, W), got shape {tuple(depth_lr_up_norm.shape)}"
            )
        depth_shape = depth_lr_up_norm.shape
        if rgb.shape[0] != depth_shape[0] or rgb.shape[2:] != depth_shape[2:]:
            raise ShapeError(
                f"rgb {tuple(rgb.shape)} and depth_lr_up_norm {tuple(depth_lr_up_norm.shape)} "
                "must share B, H and W; upsample the LR depth to the RGB grid first"
            )
        height, width = int(rgb.shape[2]), int(rgb.shape[3])
        if height % self.stride or width % self.stride:
            raise ShapeError(
                f"H, W = {height}, {width} must be multiples of the model stride {self.stride}; "
                "pad with bridgenet_ros.runtime.padding.pad_to_multiple and crop the outputs"
            )

    def forward(
        self, rgb: Tensor, depth_lr_up_norm: Tensor
    ) -> tuple[Tensor, Tensor] | tuple[Tensor]:
        """Super-resolve the depth map (and estimate depth from RGB when ``has_mde``).

        Args:
            rgb: ``(B, 3, H, W)`` float32 in 0..1; normalized with ``config.rgb_mean/std``
                inside the model. Unused by the DSR-only variant.
            depth_lr_up_norm: ``(B, 1, H, W)`` LR depth bicubic-upsampled to the RGB grid and
                normalized with the LR depth range.

        Returns:
            ``(depth_sr_norm, depth_mde_norm)``, both ``(B, 1, H, W)`` normalized, or
            ``(depth_sr_norm,)`` without the MDE branch.

        Raises:
            ShapeError: on wrong channel counts, mismatched sizes, or ``H, W`` not multiples
                of :attr:`stride`.
        """
        self.check_inputs(rgb, depth_lr_up_norm)
        if self.mde is None:
            depth_sr_norm, _ = self.dsr(depth_lr_up_norm)
            return (depth_sr_norm,)
        rgb_norm = (rgb - self.rgb_mean) / self.rgb_std
        features = self.mde.encode(rgb_norm)
        depth_sr_norm, dsr_decoder = self.dsr(
            depth_lr_up_norm, features[:3], self.habdg, rgb_norm=rgb_norm
        )
        if self.config.cgbdg_stop_gradient:
            dsr_decoder = [f.detach() for f in dsr_decoder]
        depth_mde_norm = self.mde.decode(features, dsr_decoder, self.cgbdg)
        return depth_sr_norm, depth_mde_norm
