# SPDX-License-Identifier: Apache-2.0
"""rosbags message objects for images and camera infos, built with the node's own codec.

Images are converted by :mod:`bridgenet_ros.stream.codec` (the code the node uses), then wrapped in
the rosbags typestore's ``sensor_msgs/msg/Image`` dataclass and serialized to CDR, the format
rosbag2 stores and DDS sends. The builders take another type store (``store``) to make ROS 1
messages for a ROS 1 output bag (their ``Header`` has a ``seq`` field). No ROS installation is
needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from bridgenet_ros.stream.codec import CAMERA_INFO_TYPE, IMAGE_TYPE, ImageFields
from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_to_ns

__all__ = [
    "camera_info_msg",
    "decode_image",
    "image_msg",
    "image_msg_from_fields",
    "scaled_camera_info_msg",
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


def ns_to_stamp(stamp_ns: int, store: Any = None) -> Any:
    """``builtin_interfaces/msg/Time`` for a time in integer nanoseconds."""
    time_cls = (store or typestore()).types["builtin_interfaces/msg/Time"]
    sec, nanosec = ns_to_sec_nanosec(stamp_ns)
    return time_cls(sec=sec, nanosec=nanosec)


def _header(stamp_ns: int, frame_id: str, store: Any = None) -> Any:
    header_cls = (store or typestore()).types["std_msgs/msg/Header"]
    fields = getattr(header_cls, "__dataclass_fields__", {})
    extra = {"seq": 0} if "seq" in fields else {}  # ROS 1 headers carry a sequence number
    return header_cls(stamp=ns_to_stamp(stamp_ns, store), frame_id=frame_id, **extra)


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
    from bridgenet_ros.stream.codec import array_to_image_fields

    return image_msg_from_fields(array_to_image_fields(array, encoding), stamp_ns, frame_id)


def image_msg_from_fields(
    fields: ImageFields, stamp_ns: int, frame_id: str, store: Any = None
) -> Any:
    """A rosbags ``sensor_msgs/msg/Image`` from encoded fields (``store``: default Jazzy)."""
    image_cls = (store or typestore()).types[IMAGE_TYPE]
    return image_cls(
        header=_header(stamp_ns, frame_id, store),
        height=fields.height,
        width=fields.width,
        encoding=fields.encoding,
        is_bigendian=int(fields.is_bigendian),
        step=fields.step,
        data=np.frombuffer(fields.data, dtype=np.uint8),
    )


def camera_info_msg(
    k: np.ndarray, height: int, width: int, stamp_ns: int, frame_id: str, store: Any = None
) -> Any:
    """A rosbags ``sensor_msgs/msg/CameraInfo`` for an undistorted pinhole camera.

    Args:
        k: ``(3, 3)`` intrinsic matrix in pixels of the ``height x width`` grid.
        height: image height in pixels.
        width: image width in pixels.
        stamp_ns: header stamp in nanoseconds.
        frame_id: header frame id.
        store: type store (default: Jazzy; a ROS 1 store gives ROS 1 field names).
    """
    from types import SimpleNamespace

    from bridgenet_ros.runtime.camera import CameraIntrinsics

    roi_cls = (store or typestore()).types["sensor_msgs/msg/RegionOfInterest"]
    source = SimpleNamespace(
        height=int(height),
        width=int(width),
        distortion_model="plumb_bob",
        d=np.zeros(5, dtype=np.float64),
        r=np.eye(3, dtype=np.float64).reshape(9),
        binning_x=0,
        binning_y=0,
        roi=roi_cls(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False),
    )
    intrinsics = CameraIntrinsics(width=int(width), height=int(height), k=k)
    return scaled_camera_info_msg(source, intrinsics, stamp_ns, frame_id, store)


def scaled_camera_info_msg(
    source: Any, intrinsics: Any, stamp_ns: int, frame_id: str, store: Any = None
) -> Any:
    """``depth_sr/camera_info`` as the node publishes it: ``source`` with scaled size, K and P.

    Args:
        source: the colour ``CameraInfo`` of the pair (rosbags message of the input bag).
        intrinsics: :class:`~bridgenet_ros.runtime.camera.CameraIntrinsics` of the output grid.
        stamp_ns: header stamp (the colour image's).
        frame_id: header frame id (the colour image's).
        store: type store of the output bag (default: Jazzy).
    """
    from bridgenet_ros.stream.frame_stream import info_matrix

    types = (store or typestore()).types
    info_cls = types[CAMERA_INFO_TYPE]
    same_size = (intrinsics.height, intrinsics.width) == (int(source.height), int(source.width))
    roi_cls = types["sensor_msgs/msg/RegionOfInterest"]
    roi = (
        source.roi
        if same_size
        else roi_cls(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    )
    matrices = {
        "d": info_matrix(source, "d"),
        "k": np.asarray(intrinsics.k, dtype=np.float64).reshape(9),
        "r": info_matrix(source, "r"),
        "p": np.asarray(intrinsics.p, dtype=np.float64).reshape(12),
    }
    upper = "K" in getattr(info_cls, "__dataclass_fields__", {})  # ROS 1 names: D, K, R, P
    return info_cls(
        header=_header(stamp_ns, frame_id, store),
        height=int(intrinsics.height),
        width=int(intrinsics.width),
        distortion_model=str(source.distortion_model),
        binning_x=int(source.binning_x),
        binning_y=int(source.binning_y),
        roi=roi,
        **{(name.upper() if upper else name): value for name, value in matrices.items()},
    )


def serialize(message: Any, msgtype: str) -> bytes:
    """CDR bytes of a rosbags message object (what rosbag2 stores and DDS sends)."""
    return bytes(typestore().serialize_cdr(message, msgtype))


def decode_image(message: Any, kind: str) -> np.ndarray:
    """Decode an image message with the node's codec.

    Args:
        message: a deserialized ``sensor_msgs/msg/Image`` (rosbags or rclpy).
        kind: ``rgb`` (any colour encoding) or ``depth`` (``16UC1``/``mono16`` mm, ``32FC1`` m).

    Returns:
        ``(H, W, 3)`` uint8 RGB for ``rgb``; ``(H, W)`` float32 metres for ``depth``.

    Raises:
        DataError: (the codec's ``ImageCodecError``) unsupported encoding, zero size or a
            ``data`` length that does not match ``step x height``.
    """
    from bridgenet_ros.stream.codec import decode_depth_m, decode_rgb

    if kind == "rgb":
        return decode_rgb(message)
    return decode_depth_m(message)
