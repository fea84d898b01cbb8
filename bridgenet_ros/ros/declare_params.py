# SPDX-License-Identifier: Apache-2.0
"""Declare the node parameters on an rclpy node (the ROS half of the parameter model).

The ROS-free half, :data:`~bridgenet_ros.stream.params.PARAMETERS` and
:class:`~bridgenet_ros.stream.params.NodeConfig`, lives in :mod:`bridgenet_ros.stream.params`;
this module turns its table into ``rcl_interfaces/ParameterDescriptor`` objects and declares
them. rclpy and rcl_interfaces are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.params import PARAMETERS, NodeConfig, ParameterSpec, config_from_mapping

__all__ = ["declare_parameters", "descriptor_for"]


def descriptor_for(spec: ParameterSpec) -> Any:
    """Build the ``rcl_interfaces/ParameterDescriptor`` of ``spec`` (imports rcl_interfaces).

    Floating-point parameters are dynamically typed so ``-p sync_slop:=0`` (an integer on the
    command line) is accepted; :func:`declare_parameters` stores it back as a double and
    :class:`NodeConfig` checks type and range of every value anyway. ``list`` parameters are
    double arrays, dynamically typed for the same reason (``[0, 0, 0, 0, 0, 0, 1]`` is an
    integer array to ROS) and because their empty default has no element type.
    """
    from rcl_interfaces.msg import (
        FloatingPointRange,
        IntegerRange,
        ParameterDescriptor,
        ParameterType,
    )

    types = {
        str: ParameterType.PARAMETER_STRING,
        int: ParameterType.PARAMETER_INTEGER,
        float: ParameterType.PARAMETER_DOUBLE,
        bool: ParameterType.PARAMETER_BOOL,
        list: ParameterType.PARAMETER_DOUBLE_ARRAY,
    }
    descriptor = ParameterDescriptor(
        name=spec.name,
        type=types[spec.kind],
        description=spec.description,
        read_only=spec.read_only,
        dynamic_typing=spec.kind in (float, list),
    )
    if spec.lengths:
        descriptor.additional_constraints = f"{' or '.join(str(n) for n in spec.lengths)} numbers"
    if spec.choices:
        descriptor.additional_constraints = f"one of {', '.join(spec.choices)}"
    if spec.kind is int and spec.low is not None and spec.high is not None:
        descriptor.integer_range = [
            IntegerRange(from_value=int(spec.low), to_value=int(spec.high), step=0)
        ]
    if spec.kind is float and spec.low is not None and spec.high is not None:
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=float(spec.low), to_value=float(spec.high), step=0.0)
        ]
    return descriptor


def declare_parameters(node: Any) -> NodeConfig:
    """Declare every parameter on ``node`` with its descriptor and return the validated config.

    Values come from the node's parameter overrides (``--params-file``, ``-p``) over the
    :class:`NodeConfig` defaults. An integer given for a floating-point parameter
    (``-p sync_slop:=0``) is accepted and stored back as a double.

    Args:
        node: an ``rclpy.node.Node``.

    Returns:
        The validated :class:`NodeConfig`.

    Raises:
        ConfigError: a value has the wrong type or is out of range (names parameter and value).
    """
    from rclpy.exceptions import ParameterException
    from rclpy.parameter import Parameter

    defaults = NodeConfig()
    values: dict[str, Any] = {}
    for spec in PARAMETERS:
        try:
            parameter = node.declare_parameter(
                spec.name, getattr(defaults, spec.name), descriptor_for(spec)
            )
        except ParameterException as err:
            raise ConfigError(f"parameter {spec.name}: {err}") from err
        values[spec.name] = parameter.value
        value = parameter.value
        if spec.kind is list and hasattr(value, "__len__") and not isinstance(value, (str, bytes)):
            values[spec.name] = list(value)  # array.array (double arrays) -> list
    config = config_from_mapping(values)
    as_double = [
        Parameter(spec.name, value=float(values[spec.name]))
        for spec in PARAMETERS
        if spec.kind is float and not isinstance(values[spec.name], float)
    ]
    if as_double:
        node.set_parameters(as_double)
    return config
