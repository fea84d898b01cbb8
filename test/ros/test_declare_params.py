# SPDX-License-Identifier: Apache-2.0
"""Declaring the node parameters on a real rclpy node (descriptors, types, ranges)."""

from __future__ import annotations

from typing import Any

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.params import PARAMETERS

pytestmark = pytest.mark.ros


def test_descriptors_carry_ranges_and_read_only() -> None:
    pytest.importorskip("rcl_interfaces", reason="rcl_interfaces (ROS wheels) not installed")
    from bridgenet_ros.ros.declare_params import descriptor_for

    by_name = {spec.name: descriptor_for(spec) for spec in PARAMETERS}
    assert by_name["backend"].read_only and "tensorrt" in by_name["backend"].additional_constraints
    assert by_name["sync_queue_size"].integer_range[0].from_value == 1
    assert by_name["sync_slop"].floating_point_range[0].to_value == pytest.approx(1.0)
    assert not by_name["min_depth"].read_only


def _declared(ros_context: Any, **overrides: Any) -> tuple[Any, Any]:
    import rclpy
    from rclpy.parameter import Parameter

    from bridgenet_ros.ros.declare_params import declare_parameters

    node = rclpy.create_node(
        "declare_test",
        context=ros_context,
        parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()],
    )
    try:
        return declare_parameters(node), node
    except Exception:
        node.destroy_node()
        raise


def test_integer_for_a_float_parameter_is_accepted(ros_context: Any) -> None:
    # `-p sync_slop:=0` arrives as an INTEGER parameter override
    config, node = _declared(ros_context, sync_slop=0, max_depth=8)
    try:
        assert config.sync_slop == 0.0 and isinstance(config.sync_slop, float)
        assert config.max_depth == 8.0
        stored = node.get_parameter("sync_slop")
        assert isinstance(stored.value, float) and stored.value == 0.0  # stored back as double
        # ranges still hold for run-time changes, and strings are still refused by NodeConfig
        assert not node.set_parameters([node_param("sync_slop", 5.0)])[0].successful
    finally:
        node.destroy_node()


def node_param(name: str, value: Any) -> Any:
    from rclpy.parameter import Parameter

    return Parameter(name, value=value)


def test_wrong_types_still_fail_fast(ros_context: Any) -> None:
    with pytest.raises(ConfigError, match="sync_slop"):
        _declared(ros_context, sync_slop="fast")
    with pytest.raises(ConfigError, match="sync_queue_size"):
        _declared(ros_context, sync_queue_size=2.5)
