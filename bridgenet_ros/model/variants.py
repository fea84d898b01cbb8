# SPDX-License-Identifier: Apache-2.0
"""Named BridgeNet variants and :func:`create_model`.

* ``paper``: the architecture figure's block counts (head 2, stages 4/4/4, trunk N = 32,
  post 2) at 64 channels everywhere.
* ``lite``: for real time, at most 5 GMACs at 480×640; keeps both bridges. Full-resolution
  work is cut (8-channel head with one block), widths grow with depth, trunk of 4 blocks.
* ``lite_hr``: ``lite`` + the residual gate + a 16-channel full-resolution refinement head
  + a 0.003 dead band (about 6.1 GMACs at 480×640): stage 2 of the issue-12 campaign, for
  robots with the GPU headroom (docs/architecture.md).
* ``dsr_only``: the ``lite`` DSRNet without MDENet and without bridges (the ablation that
  tells whether joint learning helps).
* ``test``: tiny, for fast unit tests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bridgenet_ros.config_io import from_mapping, to_mapping
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.model.config import BridgeNetConfig

if TYPE_CHECKING:
    from bridgenet_ros.model.bridgenet import BridgeNet

__all__ = ["VARIANTS", "create_model", "variant_config", "variant_names"]

_LITE = BridgeNetConfig(
    variant="lite",
    dsr_head_channels=8,
    dsr_head_blocks=1,
    dsr_stage_channels=(12, 24, 48),
    dsr_stage_blocks=(1, 2, 2),
    dsr_trunk_channels=48,
    dsr_trunk_blocks=4,
    dsr_post_blocks=1,
    dsr_decoder_channels=(24, 12),
    mde_stem_channels=12,
    mde_stage_channels=(12, 24, 48, 64),
    mde_stage_blocks=(1, 1, 1, 1),
    mde_fpn_channels=16,
    mde_decoder_channels=(32, 16, 8),
    cg_diff_channels=12,
)

#: The registered variants by name.
VARIANTS: Mapping[str, BridgeNetConfig] = {
    "paper": BridgeNetConfig(variant="paper"),
    "lite": _LITE,
    "lite_hr": from_mapping(
        BridgeNetConfig,
        {
            **to_mapping(_LITE),
            "variant": "lite_hr",
            "residual_gate": True,
            "dsr_refine_channels": 16,
            "residual_deadband": 0.003,
        },
    ),
    "dsr_only": from_mapping(
        BridgeNetConfig,
        {
            **to_mapping(_LITE),
            "variant": "dsr_only",
            "use_mde": False,
            "use_habdg": False,
            "use_cgbdg": False,
        },
    ),
    "test": BridgeNetConfig(
        variant="test",
        dsr_head_channels=4,
        dsr_head_blocks=1,
        dsr_stage_channels=(4, 8, 8),
        dsr_stage_blocks=(1, 1, 1),
        dsr_trunk_channels=8,
        dsr_trunk_blocks=1,
        dsr_post_blocks=1,
        dsr_decoder_channels=(8, 4),
        mde_stem_channels=4,
        mde_stage_channels=(4, 8, 8, 8),
        mde_stage_blocks=(1, 1, 1, 1),
        mde_fpn_channels=8,
        mde_decoder_channels=(8, 8, 4),
        cg_diff_channels=4,
        attention_reduction=2,
    ),
}


def variant_names() -> list[str]:
    """Return the registered variant names, sorted."""
    return sorted(VARIANTS)


def variant_config(name: str, **overrides: Any) -> BridgeNetConfig:
    """Return the config of variant ``name`` with ``overrides`` applied.

    Args:
        name: a registered variant (see :func:`variant_names`).
        **overrides: :class:`BridgeNetConfig` fields to change (lists become tuples).

    Returns:
        The validated config; ``variant`` stays ``name`` unless overridden.

    Raises:
        ConfigError: for an unknown name, unknown field or invalid value.
    """
    if name not in VARIANTS:
        raise ConfigError(
            f"unknown model variant {name!r}; choose one of {', '.join(variant_names())}"
        )
    mapping = {**to_mapping(VARIANTS[name]), **overrides}
    return from_mapping(BridgeNetConfig, mapping, where=f"model variant {name!r}")


def create_model(name: str, **overrides: Any) -> BridgeNet:
    """Build a freshly initialized BridgeNet of variant ``name``.

    Args:
        name: ``paper``, ``lite``, ``dsr_only`` or ``test``.
        **overrides: :class:`BridgeNetConfig` fields to change, e.g. ``dsr_trunk_blocks=8``.

    Returns:
        The model in training mode.

    Raises:
        ConfigError: for an unknown name, unknown field or invalid value.
    """
    from bridgenet_ros.model.bridgenet import BridgeNet

    return BridgeNet.from_config(variant_config(name, **overrides))
