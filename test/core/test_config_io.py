# SPDX-License-Identifier: Apache-2.0
"""Config dataclasses from mappings/YAML reject unknown keys and keep precedence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bridgenet_ros.config_io import from_mapping, load_yaml, merge_overrides, to_mapping
from bridgenet_ros.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    size: int = 3

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ConfigError(f"size must be positive, got {self.size}")


@dataclass(frozen=True)
class Outer:
    name: str = "x"
    scales: tuple[float, ...] = (2.0, 4.0)
    inner: Inner = field(default_factory=Inner)


def test_builds_nested_and_converts_lists() -> None:
    cfg = from_mapping(Outer, {"name": "y", "scales": [2, 8], "inner": {"size": 5}})
    assert cfg == Outer("y", (2, 8), Inner(5))
    assert to_mapping(cfg) == {"name": "y", "scales": [2, 8], "inner": {"size": 5}}


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['nmae'\]"):
        from_mapping(Outer, {"nmae": "typo"})
    with pytest.raises(ConfigError, match="Outer.inner"):
        from_mapping(Outer, {"inner": {"bogus": 1}})


def test_validation_error_is_config_error() -> None:
    with pytest.raises(ConfigError, match="size must be positive"):
        from_mapping(Outer, {"inner": {"size": -1}})


def test_yaml_loading(tmp_path: Path) -> None:
    good = tmp_path / "a.yaml"
    good.write_text("name: z\ninner:\n  size: 2\n")
    assert from_mapping(Outer, load_yaml(good)).inner.size == 2
    bad = tmp_path / "b.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_yaml(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_yaml(tmp_path / "missing.yaml")
    broken = tmp_path / "c.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(broken)


def test_cli_flags_override_only_when_given() -> None:
    merged = merge_overrides({"a": 1, "b": 2}, {"a": None, "b": 3, "c": 4})
    assert merged == {"a": 1, "b": 3, "c": 4}
