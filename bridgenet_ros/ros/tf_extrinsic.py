# SPDX-License-Identifier: Apache-2.0
"""The depth -> colour extrinsic from TF: a ``tf2_ros`` buffer and listener on the node.

``tf2_ros`` is not a hard dependency: it is imported here, lazily, only when
``depth_to_rgb_from_tf`` is true.
"""

from __future__ import annotations

from typing import Any

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.stream.extrinsic import TfExtrinsicSource

__all__ = ["tf_extrinsic_source"]


def tf_extrinsic_source(node: Any) -> TfExtrinsicSource:
    """A :class:`TfExtrinsicSource` with its own ``tf2_ros.Buffer`` and listener on ``node``.

    Raises:
        ConfigError: ``tf2_ros`` does not import.
    """
    try:
        import tf2_ros
        from rclpy.time import Time
    except ImportError as err:
        raise ConfigError(
            f"depth_to_rgb_from_tf: true needs tf2_ros ({err}); install "
            "ros-$ROS_DISTRO-tf2-ros or give the extrinsic as depth_to_rgb"
        ) from err
    buffer = tf2_ros.Buffer()
    source = TfExtrinsicSource(buffer, Time())
    source._listener = tf2_ros.TransformListener(buffer, node)
    return source
