# SPDX-License-Identifier: Apache-2.0
"""Training and evaluation data: readers, degradation, procedural scenes, torch datasets.

Re-exports the numpy-only parts. The torch datasets live in :mod:`bridgenet_ros.data.datasets`
(imports torch), the NYU ``.mat`` reader in :mod:`.nyu_mat` (h5py) and the rosbag2 reader in
:mod:`.rosbag_source` (rosbags); import those modules directly.
"""

from __future__ import annotations

from bridgenet_ros.data.degradation import (
    SensorModelConfig,
    apply_sensor_model,
    bicubic_downsample,
    fill_invalid_nearest,
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
from bridgenet_ros.data.splits import capture_day, split_groups, split_indices
from bridgenet_ros.data.synthetic import SyntheticFrame, SyntheticScenes, scaled_intrinsics

__all__ = [
    "NAMED_SETS",
    "RGBDFolder",
    "RGBDSample",
    "SensorModelConfig",
    "SyntheticFrame",
    "SyntheticScenes",
    "apply_sensor_model",
    "bicubic_downsample",
    "capture_day",
    "fill_invalid_nearest",
    "open_named_set",
    "read_depth_file",
    "read_rgb_file",
    "scaled_intrinsics",
    "split_groups",
    "split_indices",
    "upsample_depth",
]
