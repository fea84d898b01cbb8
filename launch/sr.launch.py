# SPDX-License-Identifier: Apache-2.0
"""Launch the bridgenet depth super-resolution node (and optionally rviz).

Example (RealSense defaults for the input topics)::

    ros2 launch bridgenet_ros sr.launch.py model_path:=/path/bridgenet_lite.onnx use_rviz:=true
"""

from __future__ import annotations

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription

PACKAGE = "bridgenet_ros"


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory(PACKAGE)
    default_params = os.path.join(share, "config", "bridgenet.yaml")
    default_model = os.path.join(share, "models", "bridgenet_lite.onnx")
    default_rviz = os.path.join(share, "config", "bridgenet.rviz")

    arguments = [
        DeclareLaunchArgument(
            "params_file", default_value=default_params, description="node parameters (YAML)"
        ),
        DeclareLaunchArgument(
            "model_path", default_value=default_model, description=".onnx, .pt or .engine model"
        ),
        DeclareLaunchArgument(
            "backend", default_value="auto", description="auto | tensorrt | onnxruntime | torch"
        ),
        DeclareLaunchArgument("namespace", default_value="", description="node namespace"),
        DeclareLaunchArgument(
            "rgb_topic",
            default_value="/camera/camera/color/image_raw",
            description="RGB image input",
        ),
        DeclareLaunchArgument(
            "camera_info_topic",
            default_value="/camera/camera/color/camera_info",
            description="RGB camera_info input",
        ),
        DeclareLaunchArgument(
            "depth_topic",
            default_value="/camera/camera/depth/image_rect_raw",
            description="low-resolution depth input (16UC1 mm or 32FC1 m)",
        ),
        DeclareLaunchArgument(
            "depth_camera_info_topic",
            default_value="/camera/camera/depth/camera_info",
            description="depth camera_info input (registration, unaligned-depth check)",
        ),
        DeclareLaunchArgument("use_rviz", default_value="false", description="start rviz2"),
        DeclareLaunchArgument(
            "log_level", default_value="info", description="debug | info | warn | error"
        ),
    ]

    node = Node(
        package=PACKAGE,
        executable="bridgenet_node",
        name="bridgenet",
        namespace=LaunchConfiguration("namespace"),
        output="screen",
        emulate_tty=True,
        # numpy's BLAS threads would fight the inference threads for the cores
        additional_env={"OPENBLAS_NUM_THREADS": "1"},
        parameters=[
            LaunchConfiguration("params_file"),
            {
                "model_path": LaunchConfiguration("model_path"),
                "backend": LaunchConfiguration("backend"),
            },
        ],
        remappings=[
            ("rgb/image", LaunchConfiguration("rgb_topic")),
            ("rgb/camera_info", LaunchConfiguration("camera_info_topic")),
            ("depth/image", LaunchConfiguration("depth_topic")),
            ("depth/camera_info", LaunchConfiguration("depth_camera_info_topic")),
        ],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
    )

    rviz = Node(
        package="rviz2",
        executable="rviz2",
        name="rviz2",
        arguments=["-d", default_rviz],
        condition=IfCondition(LaunchConfiguration("use_rviz")),
        output="screen",
    )
    return LaunchDescription([*arguments, node, rviz])
