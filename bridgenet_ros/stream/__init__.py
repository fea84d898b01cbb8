# SPDX-License-Identifier: Apache-2.0
"""The ROS-free stream layer shared by the node, the bench and the bag training source.

- :mod:`.codec`: ``sensor_msgs/Image`` ↔ numpy (duck-typed: rclpy or rosbags messages).
- :mod:`.pairing`: the ApproximateTime policy pairing RGB with depth.
- :mod:`.params`: the node parameter table and the validated :class:`NodeConfig`.
- :mod:`.pipeline_factory`: ``NodeConfig`` → backend + :class:`DepthSRPipeline` (``auto`` decided
  once).
- :mod:`.frame_stream`: :class:`FrameStream`, header check → pair → register → decode →
  pipeline → encode, counted by reason; driven by the node and by ``bench/replay.py``.
- :mod:`.stamps`: header stamps as integer nanoseconds.
- :mod:`.registration` / :mod:`.extrinsic`: reprojection of unaligned depth into the colour
  camera (:class:`~bridgenet_ros.stream.registration.DepthRegistrar` is a
  :class:`FrameStream` registrar).

Rules (checked by ``test/core/test_import_rules.py``): this package may import ``runtime/``;
it never imports rclpy, ``*_msgs`` packages or :mod:`bridgenet_ros.ros`.
"""

from __future__ import annotations

from bridgenet_ros.stream.codec import (
    ImageCodecError,
    array_to_image_fields,
    decode_depth_m,
    decode_rgb,
    image_msg_to_array,
)
from bridgenet_ros.stream.pairing import ApproximateTimePairer, Pair
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.stamps import stamp_to_ns

__all__ = [
    "ApproximateTimePairer",
    "ImageCodecError",
    "NodeConfig",
    "Pair",
    "array_to_image_fields",
    "decode_depth_m",
    "decode_rgb",
    "image_msg_to_array",
    "stamp_to_ns",
]
