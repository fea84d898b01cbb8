# SPDX-License-Identifier: Apache-2.0
"""Training and evaluation data: readers, degradation, procedural scenes, torch datasets.

Re-exports the numpy-only parts (the typed ``DataConfig`` included). The torch datasets live in
:mod:`bridgenet_ros.data.datasets` (imports torch), the NYU ``.mat`` reader in :mod:`.nyu_mat`
(h5py) and the rosbag2 reader in :mod:`.rosbag_source` (rosbags); import those modules directly.
"""

from __future__ import annotations

from bridgenet_ros.data.config import DataConfig, SensorModelChoice, SourceConfig
from bridgenet_ros.data.degradation import (
    LidarSensorConfig,
    SensorModelConfig,
    StereoSensorConfig,
    apply_lidar_model,
    apply_sensor_model,
    apply_stereo_model,
    bicubic_downsample,
    fill_invalid_nearest,
    load_sensor_model,
    sensor_model_from_mapping,
    upsample_depth,
)
from bridgenet_ros.data.folders import (
    NAMED_SETS,
    RGBDFolder,
    RGBDSample,
    open_named_set,
    read_depth_file,
    read_rgb_file,
)
from bridgenet_ros.data.shards import ShardSet
from bridgenet_ros.data.splits import capture_day, split_groups, split_indices
from bridgenet_ros.data.synthetic import (
    PhotoTextures,
    SyntheticFrame,
    SyntheticScenes,
    scaled_intrinsics,
)

__all__ = [
    "NAMED_SETS",
    "DataConfig",
    "LidarSensorConfig",
    "PhotoTextures",
    "RGBDFolder",
    "RGBDSample",
    "SensorModelChoice",
    "SensorModelConfig",
    "ShardSet",
    "SourceConfig",
    "StereoSensorConfig",
    "SyntheticFrame",
    "SyntheticScenes",
    "apply_lidar_model",
    "apply_sensor_model",
    "apply_stereo_model",
    "bicubic_downsample",
    "capture_day",
    "fill_invalid_nearest",
    "load_sensor_model",
    "open_named_set",
    "read_depth_file",
    "read_rgb_file",
    "scaled_intrinsics",
    "sensor_model_from_mapping",
    "split_groups",
    "split_indices",
    "upsample_depth",
]
