# SPDX-License-Identifier: Apache-2.0
"""Opening a bag (rosbag2 or ROS 1) and finding its image topics: one place for both bag readers.

:class:`bridgenet_ros.bench.bag_reader.BagSource` (streaming replay) and
:class:`bridgenet_ros.data.rosbag_source.RosbagRGBD` (training pairs) open bags with
``rosbags.highlevel.AnyReader`` (sqlite3 and MCAP alike) through :func:`open_bag` and check
their topics with :func:`image_connections`, so a bad bag gets the same clear ``DataError``
wherever it is used. rclpy-free; ``rosbags`` is imported lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bridgenet_ros.errors import DataError
from bridgenet_ros.stream.codec import IMAGE_TYPE

__all__ = ["IMAGE_TYPE", "image_connections", "open_bag"]


def open_bag(path: str | Path) -> Any:
    """Open a rosbag2 directory (or file) or a ROS 1 ``.bag`` file for reading.

    Args:
        path: the bag (a rosbag2 directory with ``metadata.yaml`` and ``.db3``/``.mcap`` files,
            or a ROS 1 ``.bag`` file).

    Returns:
        An opened ``rosbags.highlevel.AnyReader``; the caller closes it.

    Raises:
        DataError: the path does not exist or is not a readable bag (rosbags raises several
            unrelated exception types for that; all become this one).
    """
    from rosbags.highlevel import AnyReader

    bag = Path(path)
    if not bag.exists():
        raise DataError(f"bag {bag} does not exist: pass a rosbag2 directory or a ROS 1 .bag file")
    try:
        reader = AnyReader([bag])
        reader.open()
    except Exception as err:  # AnyReaderError, OSError, sqlite3/mcap errors, ...
        raise DataError(
            f"cannot open bag {bag}: {type(err).__name__}: {err} (expected a rosbag2 directory "
            "with metadata.yaml and a .db3 or .mcap file, or a ROS 1 .bag file)"
        ) from err
    return reader


def image_connections(
    reader: Any,
    path: str | Path,
    topics: Mapping[str, str | None],
    *,
    optional: tuple[str, ...] = (),
    hint: str = "",
) -> dict[str, list[Any]]:
    """The connections of each role's topic, checked to exist and to carry images.

    Args:
        reader: an opened ``AnyReader`` (see :func:`open_bag`).
        path: the bag, for messages.
        topics: role (e.g. ``rgb``, ``depth``, ``gt``) -> topic; ``None`` skips the role.
        optional: roles whose topic may be missing (left out of the result).
        hint: appended to a "no topic" / "wrong type" message; ``{role}`` is replaced by the
            role (e.g. ``"pass --{role}-topic to name the right one"``).

    Returns:
        role -> the topic's connections (a topic may have several).

    Raises:
        DataError: a required topic is missing (the message lists the bag's topics) or a
            topic's type is not ``sensor_msgs/msg/Image``.
    """
    by_topic: dict[str, list[Any]] = {}
    for conn in reader.connections:
        by_topic.setdefault(conn.topic, []).append(conn)
    available = ", ".join(sorted(f"{c.topic} [{c.msgtype}]" for c in reader.connections))
    found: dict[str, list[Any]] = {}
    for role, topic in topics.items():
        if topic is None:
            continue
        advice = f"; {hint.format(role=role)}" if hint else ""
        if topic not in by_topic:
            if role in optional:
                continue
            raise DataError(
                f"bag {path} has no {role} topic {topic}; topics in the bag: "
                f"{available or 'none'}{advice}"
            )
        for conn in by_topic[topic]:
            if conn.msgtype != IMAGE_TYPE:
                raise DataError(
                    f"bag {path}: {role} topic {topic} has type {conn.msgtype}, expected "
                    f"{IMAGE_TYPE}{advice}"
                )
        found[role] = by_topic[topic]
    return found
