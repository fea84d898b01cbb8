# SPDX-License-Identifier: Apache-2.0
"""Input QoS that matches the publishers (the ``input_reliability`` parameter).

A reliable subscription does not match a best-effort publisher; a best-effort subscription
matches both, but between processes it can lose most large images (a 640x480 rgb8 frame is
0.9 MB; 60-90 % were lost in the measurement of docs/performance.md, "Input transport").
Camera drivers (realsense-ros, depthai-ros, zed) publish reliable by default,
so the node should subscribe reliable to them and best effort only where a publisher is best
effort. ``input_reliability``:

- ``auto`` (default): per input topic, reliable when every discovered publisher offers reliable,
  best effort otherwise. Until the first publisher is discovered the subscription is best effort
  (it matches either kind). Every :data:`CHECK_PERIOD_S` the publishers are looked up again
  (``Node.get_publishers_info_by_topic``, a local graph query) and the subscription is re-created
  when the choice changes, logged once per change. When all publishers go away the subscription
  keeps its reliability: a later publisher of the other kind switches it.
- ``reliable`` / ``best_effort``: fixed, never re-checked.

Per topic, the standard ``qos_overrides.<topic>.subscription.reliability`` parameter still
works and wins; besides ``reliable``, ``best_effort`` and ``system_default`` it accepts ``auto``.
The node declares that parameter itself (default: the ``input_reliability`` value), because rclpy's
``QoSOverridingOptions`` would pin the reliability the subscription was first created with;
``history`` and ``depth`` overrides go through ``QoSOverridingOptions`` as before.

:func:`choose_reliability` is the pure decision (no rclpy); :class:`InputSubscriptions` is the
rclpy glue (rclpy is imported lazily, only by the glue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.params import INPUT_RELIABILITIES

__all__ = [
    "AUTO",
    "BEST_EFFORT",
    "CHECK_PERIOD_S",
    "INPUT_DEPTH",
    "INPUT_RELIABILITIES",
    "OVERRIDE_VALUES",
    "RELIABLE",
    "AdaptiveSubscription",
    "InputSubscriptions",
    "choose_reliability",
    "describe_publishers",
    "parse_override",
]

AUTO = "auto"
RELIABLE = "reliable"
BEST_EFFORT = "best_effort"
#: values of a per-topic ``qos_overrides.<topic>.subscription.reliability`` parameter
OVERRIDE_VALUES: tuple[str, ...] = (AUTO, RELIABLE, BEST_EFFORT, "system_default")
#: seconds between two looks at the publishers of the ``auto`` inputs
CHECK_PERIOD_S = 0.5
#: input history: keep the last few messages (the pairer keeps its own queue)
INPUT_DEPTH = 5


def choose_reliability(offered: Iterable[str], current: str) -> str:
    """The reliability an ``auto`` subscription should have, given its publishers.

    Args:
        offered: the reliability each discovered publisher offers (``"reliable"``,
            ``"best_effort"``, or anything else, e.g. ``"unknown"``: treated as not reliable).
        current: the subscription's present reliability, kept when no publisher is discovered.

    Returns:
        ``"reliable"`` when there is at least one publisher and all of them offer reliable,
        ``"best_effort"`` when any does not (a best-effort reader matches every writer), else
        ``current``.
    """
    policies = [str(policy).lower() for policy in offered]
    if not policies:
        return current
    return RELIABLE if all(policy == RELIABLE for policy in policies) else BEST_EFFORT


def describe_publishers(offered: Iterable[str]) -> str:
    """Publishers counted per reliability, sorted, e.g. ``"1 best_effort, 2 reliable"``."""
    counts: dict[str, int] = {}
    for policy in offered:
        counts[str(policy).lower()] = counts.get(str(policy).lower(), 0) + 1
    if not counts:
        return "no publisher"
    return ", ".join(f"{n} {policy}" for policy, n in sorted(counts.items()))


def parse_override(name: str, value: Any) -> str:
    """Validate a reliability mode (``input_reliability`` or a per-topic override).

    Args:
        name: the parameter name, for the error message.
        value: its value (case-insensitive, as rclpy's QoS overrides are).

    Returns:
        One of :data:`OVERRIDE_VALUES`, lower case.

    Raises:
        ConfigError: not a string or not one of :data:`OVERRIDE_VALUES`.
    """
    mode = value.lower() if isinstance(value, str) else None
    if mode not in OVERRIDE_VALUES:
        raise ConfigError(
            f"parameter {name}={value!r}: expected one of {list(OVERRIDE_VALUES)} "
            "(auto = match the publishers)"
        )
    return mode


@dataclass
class AdaptiveSubscription:
    """One input subscription whose reliability follows its publishers (``auto``) or is fixed.

    Built by :meth:`InputSubscriptions.add`; ``subscription`` is replaced when auto re-creates it.

    Attributes:
        topic: the resolved (expanded and remapped) topic name.
        mode: ``auto``, ``reliable``, ``best_effort`` or ``system_default``.
        reliability: the reliability the subscription was created with.
        subscription: the live ``rclpy`` subscription.
        create: makes a new subscription of the given reliability (same topic and callback).
        offered: publisher reliabilities seen at the last check.
    """

    topic: str
    mode: str
    reliability: str
    subscription: Any
    create: Callable[[str], Any]
    offered: tuple[str, ...] = ()

    def wanted(self, offered: Iterable[str]) -> str:
        """The reliability this subscription should have with these publishers."""
        return (
            self.reliability
            if self.mode != AUTO
            else choose_reliability(offered, self.reliability)
        )


class InputSubscriptions:
    """Creates the node's input subscriptions and keeps ``auto`` ones matched to publishers.

    Args:
        node: the ``rclpy.node.Node``.
        default_mode: the ``input_reliability`` value (default of every per-topic override).
        depth: KEEP_LAST history depth of every input.
        check_period_s: seconds between publisher look-ups (a timer on ``node``, created only
            when some input is ``auto``).
    """

    def __init__(
        self,
        node: Any,
        default_mode: str,
        *,
        depth: int = INPUT_DEPTH,
        check_period_s: float = CHECK_PERIOD_S,
    ) -> None:
        if not check_period_s > 0:
            raise ConfigError(f"the publisher check period must be > 0 s, got {check_period_s}")
        self._node = node
        self._default_mode = parse_override("input_reliability", default_mode)
        self._depth = depth
        self._period_s = check_period_s
        self._timer: Any = None
        self.inputs: list[AdaptiveSubscription] = []

    def add(
        self, msg_type: Any, topic: str, callback: Callable[[Any], None]
    ) -> AdaptiveSubscription:
        """Subscribe to ``topic`` (relative names are resolved and remapped by rclpy).

        Raises:
            ConfigError: the topic's ``qos_overrides...reliability`` parameter is invalid.
        """
        resolved = self._node.resolve_topic_name(topic)
        mode = self._declare_mode(resolved)
        start = BEST_EFFORT if mode == AUTO else mode

        def create(reliability: str) -> Any:
            return self._node.create_subscription(
                msg_type, topic, callback, self._profile(reliability), **self._override_kwargs()
            )

        entry = AdaptiveSubscription(resolved, mode, start, create(start), create)
        self.inputs.append(entry)
        if mode == AUTO and self._timer is None:
            from rclpy.clock import Clock, ClockType

            # steady clock: with use_sim_time and no /clock yet, a ROS-time timer never fires
            steady = Clock(clock_type=ClockType.STEADY_TIME)
            self._timer = self._node.create_timer(self._period_s, self._on_timer, clock=steady)
        return entry

    def _declare_mode(self, resolved: str) -> str:
        from rcl_interfaces.msg import ParameterDescriptor, ParameterType
        from rclpy.exceptions import ParameterException

        name = f"qos_overrides.{resolved}.subscription.reliability"
        descriptor = ParameterDescriptor(
            name=name,
            type=ParameterType.PARAMETER_STRING,
            description=f"reliability of the subscription to {resolved}; auto = match the "
            "publishers (default: input_reliability)",
            additional_constraints=f"one of {', '.join(OVERRIDE_VALUES)}",
            read_only=True,
        )
        try:
            value = self._node.declare_parameter(name, self._default_mode, descriptor).value
        except ParameterException as err:
            raise ConfigError(f"parameter {name}: {err}") from err
        return parse_override(name, value)

    def _profile(self, reliability: str) -> Any:
        from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

        return QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=self._depth,
            reliability=ReliabilityPolicy[reliability.upper()],
        )

    @staticmethod
    def _override_kwargs() -> dict[str, Any]:
        from rclpy.qos import QoSPolicyKind
        from rclpy.qos_overriding_options import QoSOverridingOptions

        kinds = [QoSPolicyKind.HISTORY, QoSPolicyKind.DEPTH]
        return {"qos_overriding_options": QoSOverridingOptions(kinds)}

    @property
    def check_period_s(self) -> float:
        """Seconds between two looks at the publishers of the ``auto`` inputs."""
        return self._period_s

    def offered(self, entry: AdaptiveSubscription) -> tuple[str, ...]:
        """Reliability offered by each publisher of ``entry``'s topic now (sorted)."""
        infos = self._node.get_publishers_info_by_topic(entry.topic)
        return tuple(sorted(info.qos_profile.reliability.name.lower() for info in infos))

    def _on_timer(self) -> None:
        try:
            self.check()
        except Exception as err:  # noqa: BLE001 - a failed graph query must not stop the node
            self._node.get_logger().warning(
                f"input QoS check failed ({type(err).__name__}: {err}); retrying",
                throttle_duration_sec=10.0,
            )

    def check(self) -> None:
        """Re-create every ``auto`` subscription whose publishers now call for the other kind."""
        for entry in self.inputs:
            if entry.mode != AUTO:
                continue
            offered = self.offered(entry)
            entry.offered = offered
            wanted = entry.wanted(offered)
            if wanted == entry.reliability:
                continue
            previous = entry.reliability
            self._node.destroy_subscription(entry.subscription)
            # recorded before the new subscription can be seen in the graph
            entry.reliability = wanted
            entry.subscription = entry.create(wanted)
            self._node.get_logger().info(
                f"{entry.topic}: publishers offer {describe_publishers(offered)}: "
                f"subscription switched from {previous} to {wanted} (input_reliability auto)"
            )

    def describe(self) -> str:
        """One line: each input's topic, mode and present reliability."""
        return "; ".join(
            f"{e.topic} {e.reliability}" + (" (auto)" if e.mode == AUTO else "")
            for e in self.inputs
        )
