# SPDX-License-Identifier: Apache-2.0
"""Building frozen config dataclasses from mappings and YAML files.

Every config dataclass of the package (``BridgeNetConfig``, ``DataConfig``, ``TrainConfig``,
``RuntimeConfig``, ``NodeConfig``, ``BenchConfig``) is built through :func:`from_mapping`, which
rejects unknown keys, so a typo in a YAML file is an error rather than a silently ignored value.
Precedence everywhere: dataclass defaults < YAML < CLI flags (flags that are ``None`` were not
given and do not override).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, TypeVar

from bridgenet_ros.errors import ConfigError

__all__ = ["from_mapping", "load_yaml", "merge_overrides", "to_mapping"]

T = TypeVar("T")


def from_mapping(cls: type[T], mapping: Mapping[str, Any] | None, *, where: str = "") -> T:
    """Build dataclass ``cls`` from ``mapping``, rejecting keys that are not fields.

    Nested dataclass fields are built recursively from nested mappings.

    Args:
        cls: a dataclass type.
        mapping: field values; ``None`` means all defaults.
        where: a label for error messages (e.g. the YAML file and section).

    Returns:
        An instance of ``cls`` (its ``__post_init__`` validation runs as usual).

    Raises:
        ConfigError: on unknown keys, a non-mapping value, or a failed validation.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    label = where or cls.__name__
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{label}: expected a mapping, got {type(mapping).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {unknown}; valid keys are {sorted(fields)}")
    kwargs: dict[str, Any] = {}
    for name, value in mapping.items():
        ftype = fields[name].type
        nested = _dataclass_type(cls, name, ftype)
        if nested is not None and isinstance(value, Mapping):
            kwargs[name] = from_mapping(nested, value, where=f"{label}.{name}")
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{label}: {err}") from err


def _dataclass_type(cls: type, name: str, ftype: Any) -> type | None:
    """Return the dataclass type of field ``name`` of ``cls`` if it is one, else ``None``."""
    import typing

    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - unresolvable annotations simply mean "not nested"
        return None
    hint = hints.get(name, ftype)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint
    return None


def to_mapping(config: Any) -> dict[str, Any]:
    """Return a plain ``dict`` (lists, not tuples) of a config dataclass, for YAML/JSON/ckpt."""

    def convert(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value

    result = convert(config)
    assert isinstance(result, dict)
    return result


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated with the entries of ``overrides`` that are not ``None``."""
    merged = dict(base)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return merged


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Load a YAML file whose top level is a mapping.

    Raises:
        ConfigError: if the file is missing, unparsable, or not a mapping.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"config file {path}: top level must be a mapping, got {kind}")
    return data
