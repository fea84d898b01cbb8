# SPDX-License-Identifier: Apache-2.0
"""Header stamps as integer nanoseconds: the one conversion the node, bench and data use.

Works on any ``builtin_interfaces/Time``-like object (rclpy, rosbags ROS 2 and ROS 1 messages)
with ``sec`` and ``nanosec`` attributes. No ROS imports.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NS_PER_S", "ns_to_sec_nanosec", "stamp_ns", "stamp_to_ns"]

NS_PER_S = 1_000_000_000


def stamp_ns(sec: int, nanosec: int) -> int:
    """Integer nanoseconds of ``sec`` seconds plus ``nanosec`` nanoseconds."""
    return int(sec) * NS_PER_S + int(nanosec)


def stamp_to_ns(stamp: Any) -> int:
    """Integer nanoseconds of a ``builtin_interfaces/Time`` (``.sec``, ``.nanosec``)."""
    return stamp_ns(stamp.sec, stamp.nanosec)


def ns_to_sec_nanosec(time_ns: int) -> tuple[int, int]:
    """Split integer nanoseconds into ``(sec, nanosec)`` with ``0 <= nanosec < 1e9``."""
    sec, nanosec = divmod(int(time_ns), NS_PER_S)
    return int(sec), int(nanosec)
