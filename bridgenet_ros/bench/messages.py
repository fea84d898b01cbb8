# SPDX-License-Identifier: Apache-2.0
"""rosbags message objects for images and camera infos, built with the node's own codec.

Images are converted by :mod:`bridgenet_ros.ros.codec` (the code the node uses), then wrapped in
the rosbags typestore's ``sensor_msgs/msg/Image`` dataclass and serialized to CDR, the format
rosbag2 stores and DDS sends. No ROS installation is needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from bridgenet_ros.bench.topics import CAMERA_INFO_TYPE, IMAGE_TYPE

__all__ = [
    "camera_info_msg",
    "decode_image",
    "image_msg",
    "ns_to_stamp",
    "serialize",
    "stamp_to_ns",
    "typestore",
]


@lru_cache(maxsize=1)
def typestore() -> Any:
    """The ROS 2 Jazzy type store of rosbags (message classes and CDR serializer)."""
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_JAZZY)


def ns_to_stamp(stamp_ns: int) -> Any:
    """``builtin_interfaces/msg/Time`` for a time in integer nanoseconds."""
    time_cls = typestore().types["builtin_interfaces/msg/Time"]
    return time_cls(sec=int(stamp_ns // 1_000_000_000), nanosec=int(stamp_ns % 1_000_000_000))


def stamp_to_ns(stamp: Any) -> int:
    """Integer nanoseconds of a ``builtin_interfaces/msg/Time`` (rosbags or rclpy)."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def _header(stamp_ns: int, frame_id: str) -> Any:
    header_cls = typestore().types["std_msgs/msg/Header"]
    return header_cls(stamp=ns_to_stamp(stamp_ns), frame_id=frame_id)


def image_msg(array: np.ndarray, encoding: str, stamp_ns: int, frame_id: str) -> Any:
    """A rosbags ``sensor_msgs/msg/Image`` holding ``array`` in ``encoding``.

    Args:
        array: ``(H, W, 3)`` uint8 for ``rgb8``; ``(H, W)`` uint16 millimetres for ``16UC1``;
            ``(H, W)`` float32 metres for ``32FC1``.
        encoding: the ROS encoding string.
        stamp_ns: header stamp in nanoseconds.
        frame_id: header frame id.

    Returns:
        The message object (serialize it with :func:`serialize`).
    """
    from bridgenet_ros.ros.codec import array_to_image_fields

    fields = array_to_image_fields(array, encoding)
    image_cls = typestore().types[IMAGE_TYPE]
    return image_cls(
        header=_header(stamp_ns, frame_id),
        height=fields.height,
        width=fields.width,
        encoding=fields.encoding,
        is_bigendian=int(fields.is_bigendian),
        step=fields.step,
        data=np.frombuffer(fields.data, dtype=np.uint8),
    )


def camera_info_msg(k: np.ndarray, height: int, width: int, stamp_ns: int, frame_id: str) -> Any:
    """A rosbags ``sensor_msgs/msg/CameraInfo`` for an undistorted pinhole camera.

    Args:
        k: ``(3, 3)`` intrinsic matrix in pixels of the ``height x width`` grid.
        height: image height in pixels.
        width: image width in pixels.
        stamp_ns: header stamp in nanoseconds.
        frame_id: header frame id.
    """
    types = typestore().types
    k = np.asarray(k, dtype=np.float64).reshape(3, 3)
    p = np.zeros((3, 4), dtype=np.float64)
    p[:, :3] = k
    roi = types["sensor_msgs/msg/RegionOfInterest"](
        x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
    )
    return types[CAMERA_INFO_TYPE](
        header=_header(stamp_ns, frame_id),
        height=int(height),
        width=int(width),
        distortion_model="plumb_bob",
        d=np.zeros(5, dtype=np.float64),
        k=k.reshape(9),
        r=np.eye(3, dtype=np.float64).reshape(9),
        p=p.reshape(12),
        binning_x=0,
        binning_y=0,
        roi=roi,
    )


def serialize(message: Any, msgtype: str) -> bytes:
    """CDR bytes of a rosbags message object (what rosbag2 stores and DDS sends)."""
    return bytes(typestore().serialize_cdr(message, msgtype))


def decode_image(message: Any, kind: str) -> np.ndarray:
    """Decode an image message with the node's codec.

    Args:
        message: a deserialized ``sensor_msgs/msg/Image`` (rosbags or rclpy).
        kind: ``rgb`` (any colour encoding) or ``depth`` (``16UC1`` mm / ``32FC1`` m).

    Returns:
        ``(H, W, 3)`` uint8 RGB for ``rgb``; ``(H, W)`` float32 metres for ``depth``.

    Raises:
        DataError: (the codec's ``ImageCodecError``) unsupported encoding, zero size or a
            ``data`` length that does not match ``step x height``.
    """
    from bridgenet_ros.ros.codec import decode_depth_m, decode_rgb

    if kind == "rgb":
        return decode_rgb(message)
    return decode_depth_m(message)
