# SPDX-License-Identifier: Apache-2.0
"""ROS 2 integration: the rclpy node, its parameter declaration, diagnostics, inference thread.

The ROS-free parts (codec, pairing, parameter model, pipeline factory, the per-frame
:class:`~bridgenet_ros.stream.frame_stream.FrameStream`) live in :mod:`bridgenet_ros.stream`.
``bridgenet_ros.ros.node`` (which imports rclpy) is imported explicitly by whoever runs the node,
so ``import bridgenet_ros.ros`` works without ROS.
"""

from __future__ import annotations

import os

# Before numpy loads (the node's entry point imports this package first): numpy's BLAS threads
# gain nothing on the pipeline's small resizes and fight the inference threads for the cores
# (measured on 2 cores: pre+post 24 % instead of 5 % of inference). A user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__all__: list[str] = []
