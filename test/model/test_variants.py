# SPDX-License-Identifier: Apache-2.0
"""Variant table, config validation and create_model."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bridgenet_ros.config_io import from_mapping, to_mapping
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.model import BridgeNetConfig, create_model, variant_names
from bridgenet_ros.model.bridges import ContentGuidanceBridge, HighFreqAttentionBridge


def test_registered_names() -> None:
    assert variant_names() == ["dsr_only", "lite", "lite_hr", "paper", "test"]


def test_unknown_variant_lists_names() -> None:
    with pytest.raises(ConfigError, match="dsr_only, lite, lite_hr, paper, test"):
        create_model("huge")


def test_unknown_override_is_rejected() -> None:
    with pytest.raises(ConfigError, match="dsr_trunk_blok"):
        create_model("test", dsr_trunk_blok=3)


def test_override_applies_and_keeps_variant_name() -> None:
    model = create_model("test", dsr_trunk_blocks=3)
    assert model.config.variant == "test"
    assert model.config.dsr_trunk_blocks == 3
    assert len(model.dsr.trunk) == 3


@pytest.mark.parametrize("name", ["paper", "lite", "lite_hr", "dsr_only", "test"])
def test_config_round_trips_through_mapping(name: str) -> None:
    config = create_model(name).config
    mapping = to_mapping(config)
    assert mapping["variant"] == name
    assert from_mapping(BridgeNetConfig, mapping) == config


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dsr_head_channels", 0, "dsr_head_channels"),
        ("dsr_stage_channels", (8, 8), "dsr_stage_channels"),
        ("mde_stage_blocks", (1, 1, -1, 1), "mde_stage_blocks"),
        ("sr_output_scale", 0.0, "sr_output_scale"),
        ("rgb_std", (0.2, 0.0, 0.2), "rgb_std"),
        ("use_mde", "yes", "use_mde"),
    ],
)
def test_invalid_values_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BridgeNetConfig(**{field: value})  # type: ignore[arg-type]


def test_bridges_without_mde_rejected() -> None:
    with pytest.raises(ConfigError, match="use_mde"):
        BridgeNetConfig(use_mde=False)


def test_stride_property() -> None:
    assert BridgeNetConfig().stride == 16
    assert BridgeNetConfig(use_mde=False, use_habdg=False, use_cgbdg=False).stride == 8


@pytest.mark.parametrize(
    ("name", "habdg", "cgbdg"),
    [
        ("paper", 3, 2),
        ("lite", 3, 2),
        ("lite_hr", 3, 2),
        ("dsr_only", 0, 0),
        ("test", 3, 2),
    ],
)
def test_bridge_counts(name: str, habdg: int, cgbdg: int) -> None:
    model = create_model(name)
    modules = list(model.modules())
    assert sum(isinstance(m, HighFreqAttentionBridge) for m in modules) == habdg
    assert sum(isinstance(m, ContentGuidanceBridge) for m in modules) == cgbdg
    assert model.has_mde == (name != "dsr_only")
    assert model.stride == model.config.stride


def test_paper_block_counts() -> None:
    model = create_model("paper")
    assert len(model.dsr.head) == 2
    assert [len(stage[1]) for stage in model.dsr.stages] == [4, 4, 4]
    assert len(model.dsr.trunk) == 32
    assert len(model.dsr.post) == 2
    assert len(model.dsr.decoder) == 3
    assert model.config.dsr_trunk_channels == 64


def test_dsr_only_has_lite_width() -> None:
    lite, dsr_only = create_model("lite").config, create_model("dsr_only").config
    assert dsr_only.dsr_stage_channels == lite.dsr_stage_channels
    assert dsr_only.dsr_trunk_channels == lite.dsr_trunk_channels
    assert dsr_only.dsr_head_channels == lite.dsr_head_channels


def test_importing_config_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from bridgenet_ros.model import BridgeNetConfig\n"
        "BridgeNetConfig()\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
