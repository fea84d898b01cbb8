# SPDX-License-Identifier: Apache-2.0
"""ROS 2 integration: image codec, ApproximateTime pairing, node parameters, the node.

Only the ROS-free parts are re-exported here; ``bridgenet_ros.ros.node`` (which imports rclpy)
is imported explicitly by whoever runs the node, so ``import bridgenet_ros.ros`` works without
ROS and the offline bench can use the codec and the pairer with rosbags messages.
"""

from __future__ import annotations

import os

# Before numpy loads (the node's entry point imports this package first): numpy's BLAS threads
# gain nothing on the pipeline's small resizes and fight the inference threads for the cores
# (measured on 2 cores: pre+post 24 % instead of 5 % of inference). A user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bridgenet_ros.ros.codec import (
    ImageCodecError,
    array_to_image_fields,
    decode_depth_m,
    decode_rgb,
    image_msg_to_array,
)
from bridgenet_ros.ros.pairing import ApproximateTimePairer, Pair
from bridgenet_ros.ros.params import NodeConfig

__all__ = [
    "ApproximateTimePairer",
    "ImageCodecError",
    "NodeConfig",
    "Pair",
    "array_to_image_fields",
    "decode_depth_m",
    "decode_rgb",
    "image_msg_to_array",
]
