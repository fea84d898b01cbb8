# SPDX-License-Identifier: Apache-2.0
"""Importing the ROS package changes nothing in the environment; the node's main sets BLAS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_importing_bridgenet_ros_ros_leaves_the_environment_alone() -> None:
    code = (
        "import os, bridgenet_ros.ros, bridgenet_ros.ros.declare_params, "
        "bridgenet_ros.ros.inference_worker\n"
        "assert 'OPENBLAS_NUM_THREADS' not in os.environ, os.environ['OPENBLAS_NUM_THREADS']\n"
    )
    _run(code)


def test_node_main_limits_blas_threads() -> None:
    """``main`` sets OPENBLAS_NUM_THREADS (a user's value wins) before anything else runs."""
    pytest.importorskip("rclpy", reason="rclpy (ros-jazzy-rclpy wheels) is not installed")
    code = (
        "import os, sys\n"
        "from bridgenet_ros.errors import ConfigError\n"
        "import bridgenet_ros.ros.node as node\n"
        "assert 'OPENBLAS_NUM_THREADS' not in os.environ\n"
        "def refuse(*a, **k):\n"
        "    raise ConfigError('stop here')\n"
        "node.BridgeNetNode = refuse\n"
        "assert node.main([]) == 2\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    assert _run(code).stdout.strip() == "1"
    assert (
        _run(code.replace("assert 'OPENBLAS", "#"), OPENBLAS_NUM_THREADS="3").stdout.strip() == "3"
    )


def _run(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.update(extra)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result


def test_entry_point_limits_blas_before_numpy_loads() -> None:
    """``bridgenet_node`` (ros.entry) sets the BLAS limit while numpy is not yet imported."""
    code = (
        "import os, sys, types\n"
        "import bridgenet_ros.ros.entry as entry\n"
        "seen = {}\n"
        "limit = entry.limit_blas_threads\n"
        "def spy():\n"
        "    limit()\n"
        "    seen['numpy'] = 'numpy' in sys.modules\n"
        "entry.limit_blas_threads = spy\n"
        "fake = types.ModuleType('bridgenet_ros.ros.node')\n"
        "fake.main = lambda args: 0\n"
        "sys.modules['bridgenet_ros.ros.node'] = fake\n"
        "assert entry.main([]) == 0\n"
        "print(seen['numpy'], os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    assert _run(code).stdout.split() == ["False", "1"]
