# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.config import RuntimeConfig


def test_from_mapping_builds_and_rejects_unknown_keys() -> None:
    cfg = RuntimeConfig.from_mapping({"model_height": 96, "model_width": 128, "max_depth": 5.0})
    assert cfg.model_hw == (96, 128)
    assert RuntimeConfig().model_hw is None
    with pytest.raises(ConfigError, match="max_dpeth"):
        RuntimeConfig.from_mapping({"max_dpeth": 5.0})


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"model_height": 96}, "model_width"),
        ({"model_height": -8, "model_width": 8}, "model_height"),
        ({"output_resolution": "half"}, "output_resolution"),
        ({"min_depth": 3.0, "max_depth": 1.0}, "min_depth"),
        ({"fill_sigma_px": 0.0}, "fill_sigma_px"),
        ({"support_radius_px": -1}, "support_radius_px"),
        ({"rgb_filter": "lanczos"}, "rgb_filter"),
        ({"aspect_tolerance": 1.5}, "aspect_tolerance"),
    ],
)
def test_validation_names_the_field(mapping: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        RuntimeConfig.from_mapping(mapping)
