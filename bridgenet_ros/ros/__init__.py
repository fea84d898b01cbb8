# SPDX-License-Identifier: Apache-2.0
"""ROS 2 integration: the rclpy node, its parameter declaration, diagnostics, inference thread.

The ROS-free parts (codec, pairing, parameter model, pipeline factory, the per-frame
:class:`~bridgenet_ros.stream.frame_stream.FrameStream`) live in :mod:`bridgenet_ros.stream`.
``bridgenet_ros.ros.node`` (which imports rclpy) is imported explicitly by whoever runs the node,
so ``import bridgenet_ros.ros`` works without ROS and changes nothing in the environment (the
node's ``main`` sets the BLAS thread count, :func:`bridgenet_ros.blas.limit_blas_threads`).
"""

from __future__ import annotations

__all__: list[str] = []
