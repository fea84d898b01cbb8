# SPDX-License-Identifier: Apache-2.0
"""``BridgeNetConfig``: the frozen description of one BridgeNet network (no torch import).

Importing this module is cheap, so the runtime can read a model's stride and normalization
without torch. Build it with :func:`bridgenet_ros.config_io.from_mapping` and serialize it with
:func:`bridgenet_ros.config_io.to_mapping`; the variants live in
:mod:`bridgenet_ros.model.variants`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridgenet_ros.errors import ConfigError

__all__ = ["DSR_ONLY_STRIDE", "JOINT_STRIDE", "BridgeNetConfig"]

#: Stride of the DSR branch alone: 3 max-pool ×2 stages (1/8 resolution at the trunk).
DSR_ONLY_STRIDE = 8
#: Stride with the MDE branch: its 4th encoder stage is at 1/16 resolution.
JOINT_STRIDE = 16

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BridgeNetConfig:
    """Widths and block counts of a BridgeNet (DSRNet + optional MDENet + bridges).

    Resolutions are fractions of the input ``(H, W)``: DSR head at 1, DSR encoder stages at
    1/2, 1/4, 1/8, trunk at 1/8, DSR decoder steps at 1/4, 1/2, 1; MDE stem and stage 1 at 1/2,
    stages 2–4 at 1/4, 1/8, 1/16; MDE fusion modules at 1/8, 1/4, 1/2; ``depth_mde`` at 1.

    Attributes:
        variant: name of the variant this config came from (``paper``, ``lite``, ``dsr_only``,
            ``test``) or ``custom``.
        dsr_head_channels: width of the full-resolution DSR head (first conv + head blocks).
        dsr_head_blocks: residual blocks in the DSR head (paper: 2).
        dsr_stage_channels: widths of the 3 DSR encoder stages.
        dsr_stage_blocks: residual blocks per DSR encoder stage (paper: 4 each).
        dsr_trunk_channels: width of the DSR trunk at 1/8 (and of the side path and skip).
        dsr_trunk_blocks: residual blocks in the trunk (paper: N = 32).
        dsr_post_blocks: residual blocks after the side-path sum (paper: 2).
        dsr_decoder_channels: output widths of DSR decoder steps 1 and 2 (step 3 gives depth).
        use_mde: build the MDE branch (``False`` only for the ``dsr_only`` ablation).
        use_habdg: build the 3 HABdg bridges (needs ``use_mde``).
        use_cgbdg: build the 2 CGBdg bridges (needs ``use_mde``).
        cgbdg_stop_gradient: CGBdg reads the DSR decoder features detached, so the MDE loss
            no longer trains the DSR branch through it (the forward pass is unchanged; only
            training differs). ``False`` = the paper's joint gradient.
        mde_stem_channels: width of the MDE stem (stride-2 conv).
        mde_stage_channels: widths of the 4 MDE encoder stages.
        mde_stage_blocks: residual blocks per MDE encoder stage.
        mde_fpn_channels: width of the lateral convs and the top-down pyramid.
        mde_decoder_channels: output widths of the 3 cross-level fusion modules.
        cg_diff_channels: width of ``M_DSR`` and ``M_MDE`` inside CGBdg.
        attention_reduction: channel-attention hidden-width reduction in both bridges.
        sr_output_scale: initial scale of the last DSR conv's weights; small values make a
            fresh model output ``depth_lr_up_norm`` plus a small correction.
        residual_gate: gate the DSR correction per pixel, ``depth_sr_norm = depth_lr_up_norm +
            g * residual`` with ``g = sigmoid(...)`` in ``(0, 1)`` predicted from the last DSR
            decoder features: where the guidance gives no reliable evidence the network can
            leave the up-sampled input as it is (see docs/architecture.md).
        dsr_refine_channels: width of the optional full-resolution guided refinement head
            (``0`` = none). It reads the DSR head features, the coarse ``depth_sr_norm`` and,
            with the MDE branch, the normalized RGB, all at full resolution, and adds a further
            correction (3 convs 3×3) that the residual gate also multiplies; its last conv
            starts at zero, so a model grown with it starts as the model it grew from.
        dsr_refine_blocks: residual blocks (``x + conv(relu(conv(x)))``, width
            ``dsr_refine_channels``, second conv zero-initialized) inserted before the head's
            output conv: each widens its full-resolution view by 4 pixels for 2 convolutions
            (1.4 GMACs at 480×640 and 16 channels); a model grown with them starts as the model
            it grew from. ``0`` = none; needs ``dsr_refine_channels > 0``.
        residual_deadband: soft threshold on the final correction, in normalized depth units
            (fractions of the frame's LR depth range): ``r - clip(r, -t, t)``. ``0`` = off.
            Corrections smaller than ``t`` (the network's small wobble on flat surfaces) are
            dropped; larger ones (edges) shrink by ``t`` (docs/architecture.md).
        rgb_mean: per-channel mean subtracted from ``rgb`` (0..1) inside the model.
        rgb_std: per-channel standard deviation dividing ``rgb`` inside the model.
    """

    variant: str = "custom"
    dsr_head_channels: int = 64
    dsr_head_blocks: int = 2
    dsr_stage_channels: tuple[int, int, int] = (64, 64, 64)
    dsr_stage_blocks: tuple[int, int, int] = (4, 4, 4)
    dsr_trunk_channels: int = 64
    dsr_trunk_blocks: int = 32
    dsr_post_blocks: int = 2
    dsr_decoder_channels: tuple[int, int] = (64, 64)
    use_mde: bool = True
    use_habdg: bool = True
    use_cgbdg: bool = True
    cgbdg_stop_gradient: bool = False
    mde_stem_channels: int = 64
    mde_stage_channels: tuple[int, int, int, int] = (64, 64, 64, 64)
    mde_stage_blocks: tuple[int, int, int, int] = (2, 2, 2, 2)
    mde_fpn_channels: int = 64
    mde_decoder_channels: tuple[int, int, int] = (64, 64, 64)
    cg_diff_channels: int = 64
    attention_reduction: int = 4
    sr_output_scale: float = 0.1
    residual_gate: bool = False
    dsr_refine_channels: int = 0
    dsr_refine_blocks: int = 0
    residual_deadband: float = 0.0
    rgb_mean: tuple[float, float, float] = IMAGENET_MEAN
    rgb_std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        """Validate every field; raise :class:`ConfigError` naming the field and value."""
        if not isinstance(self.variant, str) or not self.variant:
            raise ConfigError(
                f"BridgeNetConfig.variant must be a non-empty string, got {self.variant!r}"
            )
        _positive("dsr_head_channels", self.dsr_head_channels)
        _positive("dsr_trunk_channels", self.dsr_trunk_channels)
        _positive("mde_stem_channels", self.mde_stem_channels)
        _positive("mde_fpn_channels", self.mde_fpn_channels)
        _positive("cg_diff_channels", self.cg_diff_channels)
        _positive("attention_reduction", self.attention_reduction)
        for name in (
            "dsr_head_blocks",
            "dsr_trunk_blocks",
            "dsr_post_blocks",
            "dsr_refine_channels",
            "dsr_refine_blocks",
        ):
            _non_negative(name, getattr(self, name))
        if self.dsr_refine_blocks > 0 and self.dsr_refine_channels == 0:
            raise ConfigError(
                f"BridgeNetConfig.dsr_refine_blocks={self.dsr_refine_blocks} needs a refinement "
                "head: set dsr_refine_channels > 0 (e.g. 16, as lite_hr)"
            )
        _int_tuple("dsr_stage_channels", self.dsr_stage_channels, 3, minimum=1)
        _int_tuple("dsr_stage_blocks", self.dsr_stage_blocks, 3, minimum=0)
        _int_tuple("dsr_decoder_channels", self.dsr_decoder_channels, 2, minimum=1)
        _int_tuple("mde_stage_channels", self.mde_stage_channels, 4, minimum=1)
        _int_tuple("mde_stage_blocks", self.mde_stage_blocks, 4, minimum=0)
        _int_tuple("mde_decoder_channels", self.mde_decoder_channels, 3, minimum=1)
        for name in ("use_mde", "use_habdg", "use_cgbdg", "cgbdg_stop_gradient", "residual_gate"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"BridgeNetConfig.{name} must be true or false, got {getattr(self, name)!r}"
                )
        if not self.use_mde and (self.use_habdg or self.use_cgbdg):
            raise ConfigError(
                "BridgeNetConfig: use_habdg/use_cgbdg need use_mde=true (the bridges connect "
                f"to the MDE branch); got use_mde=false, use_habdg={self.use_habdg}, "
                f"use_cgbdg={self.use_cgbdg}; set both bridges to false for a DSR-only model"
            )
        if not isinstance(self.sr_output_scale, (int, float)) or not (
            0.0 < float(self.sr_output_scale) <= 1.0
        ):
            raise ConfigError(
                f"BridgeNetConfig.sr_output_scale must be in (0, 1], got {self.sr_output_scale!r}"
            )
        if (
            not isinstance(self.residual_deadband, (int, float))
            or isinstance(self.residual_deadband, bool)
            or not 0.0 <= float(self.residual_deadband) < 0.1
        ):
            raise ConfigError(
                "BridgeNetConfig.residual_deadband must be a number in [0, 0.1) (normalized "
                f"depth units), got {self.residual_deadband!r}"
            )
        for name in ("rgb_mean", "rgb_std"):
            value = getattr(self, name)
            if (
                not isinstance(value, tuple)
                or len(value) != 3
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            ):
                raise ConfigError(f"BridgeNetConfig.{name} must be 3 numbers, got {value!r}")
        if any(float(v) <= 0.0 for v in self.rgb_std):
            raise ConfigError(f"BridgeNetConfig.rgb_std must be positive, got {self.rgb_std!r}")

    @property
    def stride(self) -> int:
        """Input ``H`` and ``W`` must be multiples of this (16 with MDENet, 8 without)."""
        return JOINT_STRIDE if self.use_mde else DSR_ONLY_STRIDE


def _positive(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"BridgeNetConfig.{name} must be a positive integer, got {value!r}")


def _non_negative(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"BridgeNetConfig.{name} must be a non-negative integer, got {value!r}")


def _int_tuple(name: str, value: object, length: int, *, minimum: int) -> None:
    if (
        not isinstance(value, tuple)
        or len(value) != length
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value)
    ):
        raise ConfigError(
            f"BridgeNetConfig.{name} must be {length} integers >= {minimum} (a YAML list), "
            f"got {value!r}"
        )
