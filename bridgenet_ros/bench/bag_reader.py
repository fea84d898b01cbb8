# SPDX-License-Identifier: Apache-2.0
"""Read the image topics of a bag for replay, robust to bad recordings.

Bags: rosbag2 (sqlite3 or MCAP) and ROS 1 ``.bag`` files, both read by rosbags' ``AnyReader``.
:class:`BagSource` opens a bag and checks that the requested topics exist with the right message
type through :mod:`bridgenet_ros.data.bag_open` (shared with the training reader; a clear
:class:`DataError` otherwise), and yields :class:`BagMessage` records in log-time order: the
images and, when present, the colour and depth ``CameraInfo`` topics (roles ``rgb_info`` and
``depth_info``). A message that fails to deserialize, or whose
header stamp goes backwards on its topic, is skipped and counted in :attr:`BagSource.skipped`
instead of stopping the replay.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from bridgenet_ros.errors import DataError
from bridgenet_ros.stream.codec import CAMERA_INFO_TYPE
from bridgenet_ros.stream.stamps import stamp_to_ns

__all__ = ["BagMessage", "BagSource"]


@dataclass(frozen=True)
class BagMessage:
    """One message read from a bag.

    Attributes:
        topic: topic name.
        role: which requested topic it is (``rgb``, ``depth``, ``gt``, ``rgb_info``,
            ``depth_info`` or ``other``).
        log_ns: the bag's receive timestamp.
        stamp_ns: header stamp (``log_ns`` for messages without a header).
        message: the deserialized rosbags object (``None`` for ``other``).
        rawdata: the serialized CDR bytes as stored.
        connection: the rosbags connection (for copying into another bag).
    """

    topic: str
    role: str
    log_ns: int
    stamp_ns: int
    message: Any
    rawdata: bytes
    connection: Any


class BagSource:
    """A validated rosbag2 opened for replay.

    Args:
        path: the bag directory (or an ``.mcap`` file).
        rgb_topic: colour image topic.
        depth_topic: low-resolution depth topic.
        gt_topic: ground-truth topic; ``None`` or absent from the bag means no accuracy.
        include_other: also yield every other topic (undecoded) for copying into an output bag.
        rgb_info_topic: colour ``CameraInfo`` topic (optional; absent from the bag is fine).
        depth_info_topic: depth ``CameraInfo`` topic (optional).

    Raises:
        DataError: if the bag is missing or unreadable, a required topic is missing, a topic has
            the wrong message type, or the required topics hold no message.

    Attributes:
        is_ros1: the bag is a ROS 1 ``.bag`` (raw data is ROS 1 serialized, not CDR).
        typestore: the reader's rosbags type store (message classes of this bag).
    """

    def __init__(
        self,
        path: str | Path,
        rgb_topic: str,
        depth_topic: str,
        gt_topic: str | None = None,
        *,
        include_other: bool = False,
        rgb_info_topic: str | None = None,
        depth_info_topic: str | None = None,
    ) -> None:
        from bridgenet_ros.data.bag_open import image_connections, open_bag

        self.path = Path(path)
        if not self.path.exists():
            raise DataError(
                f"bag {self.path} does not exist: pass the rosbag2 directory or ROS 1 .bag file "
                "to --bag"
            )
        self._include_other = include_other
        self.skipped: Counter[str] = Counter()
        self._reader = open_bag(self.path)
        self.connections = list(self._reader.connections)
        self.is_ros1 = not bool(getattr(self._reader, "is2", True))
        self.typestore = self._reader.typestore
        try:
            found = image_connections(
                self._reader,
                self.path,
                {"rgb": rgb_topic, "depth": depth_topic, "gt": gt_topic},
                optional=("gt",),
                hint="pass --{role}-topic to name the right image topic",
            )
        except DataError:
            self.close()
            raise
        self.roles: dict[str, str] = {conns[0].topic: role for role, conns in found.items()}
        for role, topic in (("rgb_info", rgb_info_topic), ("depth_info", depth_info_topic)):
            if topic and any(
                c.topic == topic and c.msgtype == CAMERA_INFO_TYPE for c in self.connections
            ):
                self.roles[topic] = role
        self.has_gt = "gt" in self.roles.values()
        self.has_rgb_info = "rgb_info" in self.roles.values()
        self.counts = {
            role: sum(c.msgcount for c in self.connections if c.topic == topic)
            for topic, role in self.roles.items()
        }
        for role in ("rgb", "depth"):
            if self.counts.get(role, 0) == 0:
                self.close()
                raise DataError(
                    f"bag {self.path} holds no message on the {role} topic "
                    f"({[t for t, r in self.roles.items() if r == role][0]}): it is empty"
                )

    def close(self) -> None:
        """Close the underlying reader."""
        reader = getattr(self, "_reader", None)
        if reader is not None and getattr(reader, "isopen", False):
            reader.close()

    def __enter__(self) -> BagSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def duration_s(self) -> float:
        """Recorded duration (last minus first log time)."""
        return max(self._reader.duration, 0) / 1e9

    def __iter__(self) -> Iterator[BagMessage]:
        """Yield messages in log-time order; bad ones are counted in :attr:`skipped`."""
        wanted = [c for c in self.connections if self._include_other or c.topic in self.roles]
        last_stamp: dict[str, int] = {}
        for conn, log_ns, rawdata in self._reader.messages(connections=wanted):
            role = self.roles.get(conn.topic, "other")
            if role == "other":
                yield BagMessage(conn.topic, role, log_ns, log_ns, None, bytes(rawdata), conn)
                continue
            try:
                message: Any = self._reader.deserialize(rawdata, conn.msgtype)
                stamp_ns = stamp_to_ns(message.header.stamp)
            except Exception:  # noqa: BLE001 - a corrupt CDR payload can fail in many ways
                self.skipped[f"{role}_corrupt"] += 1
                continue
            if stamp_ns < last_stamp.get(conn.topic, -1):
                self.skipped[f"{role}_out_of_order"] += 1
                continue
            last_stamp[conn.topic] = stamp_ns
            yield BagMessage(conn.topic, role, log_ns, stamp_ns, message, bytes(rawdata), conn)
