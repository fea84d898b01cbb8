# SPDX-License-Identifier: Apache-2.0
"""The TF extrinsic source refuses clearly where tf2_ros is not installed (as here)."""

from __future__ import annotations

import sys

import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.ros.tf_extrinsic import tf_extrinsic_source


def test_tf_source_without_tf2_ros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tf2_ros", None)  # makes "import tf2_ros" fail
    with pytest.raises(ConfigError, match="depth_to_rgb_from_tf: true needs tf2_ros"):
        tf_extrinsic_source(object())
