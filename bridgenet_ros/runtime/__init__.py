# SPDX-License-Identifier: Apache-2.0
"""Deployment runtime: numpy in, numpy out (pre/post-processing, backends, pipeline).

Imports only numpy; torch, onnxruntime, tensorrt and pycuda are imported by the backend that
needs them, when it is built.
"""

from __future__ import annotations

from bridgenet_ros.runtime.backends import Backend, ModelMeta, create_backend
from bridgenet_ros.runtime.camera import CameraIntrinsics, scale_camera_info
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.graph_pipeline import GraphPipeline, GraphSettings
from bridgenet_ros.runtime.pipeline import DepthSRPipeline, PipelineResult, upsample_depth_lr

__all__ = [
    "Backend",
    "CameraIntrinsics",
    "DepthSRPipeline",
    "GraphPipeline",
    "GraphSettings",
    "ModelMeta",
    "PipelineResult",
    "RuntimeConfig",
    "create_backend",
    "scale_camera_info",
    "upsample_depth_lr",
]
