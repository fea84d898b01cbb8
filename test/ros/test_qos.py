# SPDX-License-Identifier: Apache-2.0
"""The input-reliability decision of ``ros/qos.py`` and its parameter, without rclpy."""

from __future__ import annotations

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.ros.qos import (
    AUTO,
    BEST_EFFORT,
    RELIABLE,
    AdaptiveSubscription,
    InputSubscriptions,
    choose_reliability,
    describe_publishers,
    parse_override,
)
from bridgenet_ros.stream.params import NodeConfig, config_from_mapping


@pytest.mark.parametrize("current", [RELIABLE, BEST_EFFORT])
def test_no_publisher_keeps_the_current_reliability(current: str) -> None:
    assert choose_reliability([], current) == current


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        ([RELIABLE], RELIABLE),
        ([RELIABLE, RELIABLE, RELIABLE], RELIABLE),
        (["RELIABLE"], RELIABLE),  # case-insensitive, like rclpy's QoS overrides
        ([BEST_EFFORT], BEST_EFFORT),
        ([RELIABLE, BEST_EFFORT], BEST_EFFORT),  # a reliable reader would miss the 2nd writer
        ([BEST_EFFORT, RELIABLE, RELIABLE], BEST_EFFORT),
        (["unknown"], BEST_EFFORT),  # not known to be reliable: best effort matches anything
        ([RELIABLE, "system_default"], BEST_EFFORT),
    ],
)
@pytest.mark.parametrize("current", [RELIABLE, BEST_EFFORT])
def test_reliable_only_when_every_publisher_is_reliable(
    offered: list[str], expected: str, current: str
) -> None:
    assert choose_reliability(offered, current) == expected
    assert choose_reliability(iter(offered), current) == expected  # any iterable


def test_describe_publishers_counts_per_reliability() -> None:
    assert describe_publishers([]) == "no publisher"
    assert describe_publishers([RELIABLE, BEST_EFFORT, RELIABLE]) == "1 best_effort, 2 reliable"


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("auto", AUTO),
        ("Reliable", RELIABLE),
        ("BEST_EFFORT", BEST_EFFORT),
        ("system_default",) * 2,
    ],
)
def test_parse_override_accepts_modes_case_insensitively(value: str, mode: str) -> None:
    assert parse_override("input_reliability", value) == mode


@pytest.mark.parametrize("value", ["sometimes", "", 1, None, True])
def test_parse_override_names_the_parameter_and_value(value: object) -> None:
    name = "qos_overrides./cam/rgb.subscription.reliability"
    with pytest.raises(ConfigError) as err:
        parse_override(name, value)
    assert f"{name}={value!r}" in str(err.value)
    assert "auto" in str(err.value) and "best_effort" in str(err.value)


def _entry(mode: str, reliability: str) -> AdaptiveSubscription:
    return AdaptiveSubscription(
        topic="/rgb/image", mode=mode, reliability=reliability, subscription=None, create=print
    )


def test_fixed_modes_ignore_the_publishers() -> None:
    assert _entry(BEST_EFFORT, BEST_EFFORT).wanted([RELIABLE]) == BEST_EFFORT
    assert _entry(RELIABLE, RELIABLE).wanted([BEST_EFFORT]) == RELIABLE
    assert _entry(AUTO, BEST_EFFORT).wanted([RELIABLE]) == RELIABLE
    assert _entry(AUTO, RELIABLE).wanted([]) == RELIABLE


def test_input_reliability_parameter_defaults_to_auto_and_is_validated() -> None:
    assert NodeConfig().input_reliability == AUTO
    assert config_from_mapping({"input_reliability": "reliable"}).input_reliability == RELIABLE
    with pytest.raises(ConfigError, match=r"input_reliability='sometimes'.*auto"):
        NodeConfig(input_reliability="sometimes")


def test_check_period_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="check period must be > 0 s, got 0"):
        InputSubscriptions(object(), "auto", check_period_s=0.0)
