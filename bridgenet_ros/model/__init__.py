# SPDX-License-Identifier: Apache-2.0
"""The BridgeNet network (torch only): DSRNet, MDENet, HABdg, CGBdg, variants, checkpoints.

Names are re-exported lazily: ``import bridgenet_ros.model`` and ``BridgeNetConfig`` do not
import torch; ``create_model`` and the others import it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridgenet_ros.model.bridgenet import BridgeNet
    from bridgenet_ros.model.bridges import ContentGuidanceBridge, HighFreqAttentionBridge
    from bridgenet_ros.model.checkpoint import (
        load_checkpoint,
        load_matching_weights,
        load_model,
        save_checkpoint,
    )
    from bridgenet_ros.model.config import BridgeNetConfig
    from bridgenet_ros.model.dsrnet import DepthSRNet
    from bridgenet_ros.model.mdenet import MonoDepthNet
    from bridgenet_ros.model.profile import count_macs
    from bridgenet_ros.model.variants import VARIANTS, create_model, variant_names

__all__ = [
    "VARIANTS",
    "BridgeNet",
    "BridgeNetConfig",
    "ContentGuidanceBridge",
    "DepthSRNet",
    "HighFreqAttentionBridge",
    "MonoDepthNet",
    "count_macs",
    "create_model",
    "load_checkpoint",
    "load_matching_weights",
    "load_model",
    "save_checkpoint",
    "variant_names",
]

_WHERE = {
    "VARIANTS": "variants",
    "BridgeNet": "bridgenet",
    "BridgeNetConfig": "config",
    "ContentGuidanceBridge": "bridges",
    "DepthSRNet": "dsrnet",
    "HighFreqAttentionBridge": "bridges",
    "MonoDepthNet": "mdenet",
    "count_macs": "profile",
    "create_model": "variants",
    "load_checkpoint": "checkpoint",
    "load_matching_weights": "checkpoint",
    "load_model": "checkpoint",
    "save_checkpoint": "checkpoint",
    "variant_names": "variants",
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first access."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'bridgenet_ros.model' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bridgenet_ros.model.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
