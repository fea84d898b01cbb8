# SPDX-License-Identifier: Apache-2.0
"""RGB + high-resolution depth pairs from a bag (rosbag2 sqlite3/MCAP or ROS 1, via rosbags).

The bag is opened and its topics checked by :mod:`bridgenet_ros.data.bag_open` (shared with the
benchmark's replay reader).

For fine-tuning on a robot's own camera: record the colour topic and a registered depth topic
(``sensor_msgs/msg/Image``, depth aligned to the colour grid, e.g. RealSense
``aligned_depth_to_color``) and point a ``rosbag`` data source at the bag directory.

Pairing: every depth message is matched to the colour message with the nearest header stamp;
a pair is kept when ``|dt| <= max_dt_s`` and neither message is already used (closest pairs
first). Unmatched messages are normal in a recording and are counted in
:attr:`RosbagRGBD.unpaired`. Messages are decoded with the package's codec
(:mod:`bridgenet_ros.stream.codec`: ``rgb8``/``bgr8``/``rgba8``/``bgra8``/``mono8``, ``16UC1`` or
``mono16`` mm,
``32FC1`` m, ``step`` padding and byte order honoured). Decoded pairs are held in memory
(``every`` and ``max_frames`` bound it); groups for the train/validation split are consecutive
``group_seconds`` windows of the recording, so near-identical neighbouring frames stay together.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bridgenet_ros.data.bag_open import IMAGE_TYPE
from bridgenet_ros.data.folders import OnError, RGBDSample
from bridgenet_ros.data.frame_sequence import FrameSequence
from bridgenet_ros.data.splits import Split, split_indices
from bridgenet_ros.errors import DataError
from bridgenet_ros.stream.stamps import stamp_ns, stamp_to_ns

__all__ = ["IMAGE_TYPE", "RosbagRGBD", "pair_by_stamp"]


def pair_by_stamp(
    rgb_ns: Sequence[int], depth_ns: Sequence[int], max_dt_ns: int
) -> list[tuple[int, int]]:
    """One-to-one nearest-stamp pairing.

    Args:
        rgb_ns: colour stamps in nanoseconds.
        depth_ns: depth stamps in nanoseconds.
        max_dt_ns: largest accepted ``|t_rgb - t_depth|``.

    Returns:
        ``(rgb_index, depth_index)`` pairs sorted by depth stamp; each index used at most once.
    """
    if not len(rgb_ns) or not len(depth_ns):
        return []
    rgb = np.asarray(rgb_ns, dtype=np.int64)
    order = np.argsort(rgb, kind="stable")
    sorted_rgb = rgb[order]
    candidates: list[tuple[int, int, int]] = []
    for d, t in enumerate(depth_ns):
        pos = int(np.searchsorted(sorted_rgb, t))
        for p in (pos - 1, pos):
            if 0 <= p < sorted_rgb.size:
                dt = abs(int(sorted_rgb[p]) - int(t))
                if dt <= max_dt_ns:
                    candidates.append((dt, int(order[p]), d))
    candidates.sort()
    used_rgb: set[int] = set()
    used_depth: set[int] = set()
    pairs = []
    for _, r, d in candidates:
        if r in used_rgb or d in used_depth:
            continue
        used_rgb.add(r)
        used_depth.add(d)
        pairs.append((r, d))
    pairs.sort(key=lambda pair: int(depth_ns[pair[1]]))
    return pairs


def _header_stamp_ns(rawdata: bytes, reader: Any, connection: Any) -> int:
    """Header stamp of a serialized ``sensor_msgs/Image``: read from the CDR bytes directly.

    The message starts with a 4-byte encapsulation header, then ``builtin_interfaces/Time``
    (int32 sec, uint32 nanosec). Falls back to full deserialization for unknown layouts.
    """
    if len(rawdata) >= 12 and rawdata[0] == 0 and rawdata[1] in (0, 1):
        fmt = "<iI" if rawdata[1] == 1 else ">iI"
        sec, nanosec = struct.unpack_from(fmt, rawdata, 4)
        return stamp_ns(sec, nanosec)
    msg = reader.deserialize(rawdata, connection.msgtype)
    return stamp_to_ns(msg.header.stamp)


class RosbagRGBD(FrameSequence[RGBDSample]):
    """Paired RGB + HR depth frames of a rosbag2 directory, as :class:`RGBDSample`.

    Args:
        path: rosbag2 directory (``metadata.yaml`` + ``.db3`` or ``.mcap``) or a bag file.
        rgb_topic: colour image topic.
        depth_topic: registered depth image topic (same size as the colour images).
        max_dt_s: pairing tolerance in seconds.
        every: keep every n-th pair.
        max_frames: keep at most this many pairs (after ``every``).
        group_seconds: length of a split group (seconds of recording).
        split: ``train``, ``val`` or ``all``.
        val_fraction: share of groups in validation.
        on_error: ``raise`` or ``skip`` (counted in :attr:`skipped`) for a pair that cannot be
            decoded or whose RGB and depth sizes differ.

    Raises:
        DataError: missing/unreadable bag, missing topic or wrong message type, no pair within
            the tolerance, undecodable message or size mismatch (``on_error="raise"``).
    """

    def __init__(
        self,
        path: str | Path,
        rgb_topic: str,
        depth_topic: str,
        *,
        max_dt_s: float = 0.02,
        every: int = 1,
        max_frames: int = 2000,
        group_seconds: float = 10.0,
        split: Split = "all",
        val_fraction: float = 0.2,
        on_error: OnError = "raise",
    ) -> None:
        from bridgenet_ros.data.bag_open import open_bag

        self.path = Path(path)
        if every < 1 or max_frames < 1 or max_dt_s <= 0 or group_seconds <= 0:
            raise DataError(
                f"{self.path}: every, max_frames, max_dt_s and group_seconds must be positive"
            )
        #: ``(where, problem)`` of pairs skipped with ``on_error="skip"``
        self.skipped: list[tuple[str, str]] = []
        #: unmatched messages per role (no partner within ``max_dt_s``)
        self.unpaired: dict[str, int] = {"rgb": 0, "depth": 0}
        reader = open_bag(self.path)
        try:
            frames = self._read(
                reader, rgb_topic, depth_topic, max_dt_s, every, max_frames, on_error
            )
        finally:
            reader.close()
        if not frames:
            raise DataError(f"{self.path}: no usable RGB/depth pair ({len(self.skipped)} skipped)")
        t0 = frames[0][0]
        groups = [f"{self.path.name}-{int((t - t0) / 1e9 // group_seconds)}" for t, *_ in frames]
        keep = split_indices(groups, split, val_fraction)
        self._frames = [frames[i] for i in keep]
        self._groups = [groups[i] for i in keep]

    def _read(
        self,
        reader: Any,
        rgb_topic: str,
        depth_topic: str,
        max_dt_s: float,
        every: int,
        max_frames: int,
        on_error: OnError,
    ) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Index stamps, pair them, then decode the kept pairs."""
        from bridgenet_ros.data.bag_open import image_connections
        from bridgenet_ros.stream.codec import decode_depth_m, decode_rgb

        found = image_connections(reader, self.path, {"rgb": rgb_topic, "depth": depth_topic})
        stamps: dict[str, list[int]] = {rgb_topic: [], depth_topic: []}
        conns = found["rgb"] + found["depth"]
        for conn, _, rawdata in reader.messages(connections=conns):
            stamps[conn.topic].append(_header_stamp_ns(rawdata, reader, conn))
        pairs = pair_by_stamp(stamps[rgb_topic], stamps[depth_topic], int(max_dt_s * 1e9))
        self.unpaired = {
            "rgb": len(stamps[rgb_topic]) - len(pairs),
            "depth": len(stamps[depth_topic]) - len(pairs),
        }
        pairs = pairs[::every][:max_frames]
        wanted = {
            rgb_topic: {r: k for k, (r, _) in enumerate(pairs)},
            depth_topic: {d: k for k, (_, d) in enumerate(pairs)},
        }
        decoded: list[dict[str, Any]] = [{} for _ in pairs]
        counters = {rgb_topic: 0, depth_topic: 0}
        for conn, _, rawdata in reader.messages(connections=conns):
            index = counters[conn.topic]
            counters[conn.topic] += 1
            slot = wanted[conn.topic].get(index)
            if slot is None:
                continue
            role = "rgb" if conn.topic == rgb_topic else "depth"
            where = f"{self.path} {conn.topic} message {index}"
            try:
                msg = reader.deserialize(rawdata, conn.msgtype)
                decoded[slot][role] = decode_rgb(msg) if role == "rgb" else decode_depth_m(msg)
                if role == "depth":
                    decoded[slot]["stamp"] = _header_stamp_ns(rawdata, reader, conn)
            except DataError as err:
                decoded[slot]["error"] = f"{where}: {err}"
        frames: list[tuple[int, np.ndarray, np.ndarray]] = []
        for item in decoded:
            problem = item.get("error")
            if problem is None and item["rgb"].shape[:2] != item["depth"].shape:
                problem = (
                    f"{self.path}: RGB {item['rgb'].shape[1]}x{item['rgb'].shape[0]} and depth "
                    f"{item['depth'].shape[1]}x{item['depth'].shape[0]} at stamp "
                    f"{item['stamp']} ns differ in size; record a depth topic registered to "
                    f"the colour camera (e.g. aligned_depth_to_color)"
                )
            if problem is None and not np.any(np.isfinite(item["depth"]) & (item["depth"] > 0)):
                problem = f"{self.path}: depth at stamp {item['stamp']} ns has no valid pixel"
            if problem is not None:
                if on_error == "raise":
                    raise DataError(problem)
                self.skipped.append((str(self.path), problem))
                continue
            frames.append((int(item["stamp"]), item["rgb"], item["depth"]))
        return frames

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def groups(self) -> list[str]:
        """Split group of each frame, in order."""
        return list(self._groups)

    def _frame(self, index: int) -> RGBDSample:
        """Pair ``index``: RGB ``(H, W, 3)`` uint8 and depth ``(H, W)`` float32 metres."""
        stamp, rgb, depth = self._frames[index]
        return RGBDSample(
            name=f"{stamp}",
            rgb=rgb,
            depth_hr=depth,
            depth_lr=None,
            group=self._groups[index],
            metric=True,
        )
