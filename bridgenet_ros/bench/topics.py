# SPDX-License-Identifier: Apache-2.0
"""Topic names and message types shared by ``make-bag``, the offline bench and the live bench.

The defaults are the topics a RealSense D4xx driver (``realsense2_camera``) publishes, so a bag
recorded on a robot replays without remapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridgenet_ros.stream.codec import CAMERA_INFO_TYPE, IMAGE_TYPE

__all__ = [
    "CAMERA_INFO_TYPE",
    "IMAGE_TYPE",
    "OUTPUT_MDE_TOPIC",
    "OUTPUT_SR_INFO_TOPIC",
    "OUTPUT_SR_TOPIC",
    "BagTopics",
]

#: output topics the bench writes into ``--out-bag`` (and the node publishes at the root namespace)
OUTPUT_SR_TOPIC = "/depth_sr/image"
OUTPUT_SR_INFO_TOPIC = "/depth_sr/camera_info"
OUTPUT_MDE_TOPIC = "/depth_mde/image"


@dataclass(frozen=True)
class BagTopics:
    """Topic names of an RGB-D recording.

    Attributes:
        rgb: colour image (``rgb8`` / ``bgr8`` / ...).
        rgb_info: colour ``CameraInfo``.
        depth: low-resolution depth (``16UC1``/``mono16`` mm or ``32FC1`` m).
        depth_info: depth ``CameraInfo``.
        gt: full-resolution ground-truth depth (``32FC1`` m), only in evaluation bags.
    """

    rgb: str = "/camera/camera/color/image_raw"
    rgb_info: str = "/camera/camera/color/camera_info"
    depth: str = "/camera/camera/depth/image_rect_raw"
    depth_info: str = "/camera/camera/depth/camera_info"
    gt: str = "/camera/camera/depth/ground_truth"
