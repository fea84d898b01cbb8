# SPDX-License-Identifier: Apache-2.0
"""Import rules of docs/development.md, checked in fresh interpreters.

A robot running a TensorRT engine has numpy, tensorrt and pycuda only: ``runtime`` must not pull
in torch, PIL or OpenCV at import; ``ros.codec``/``ros.pairing`` are used offline without ROS;
the CLI must start without importing torch; nothing but ``ros`` may import rclpy.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import bridgenet_ros

HEAVY = ["torch", "onnxruntime", "tensorrt", "pycuda", "rclpy", "cv2", "PIL", "matplotlib"]

# module (or package prefix) -> top-level modules that must NOT be imported by importing it
RULES: dict[str, list[str]] = {
    "bridgenet_ros": HEAVY,
    "bridgenet_ros.errors": HEAVY,
    "bridgenet_ros.config_io": HEAVY,
    "bridgenet_ros.runtime": HEAVY + ["bridgenet_ros.train", "bridgenet_ros.export"],
    "bridgenet_ros.ros.codec": HEAVY + ["sensor_msgs"],
    "bridgenet_ros.ros.pairing": HEAVY + ["sensor_msgs"],
    "bridgenet_ros.ros": ["torch", "bridgenet_ros.train", "bridgenet_ros.export"],
    "bridgenet_ros.cli": ["torch", "onnxruntime", "rclpy", "tensorrt", "cv2", "matplotlib"],
    "bridgenet_ros.model": ["rclpy", "onnxruntime", "tensorrt", "cv2"],
    "bridgenet_ros.data": ["rclpy", "tensorrt", "onnxruntime"],
    "bridgenet_ros.train": ["rclpy", "tensorrt"],
    "bridgenet_ros.eval": ["rclpy", "tensorrt"],
    "bridgenet_ros.bench": ["tensorrt", "torch"],
    "bridgenet_ros.export": ["rclpy"],
}


def _all_modules() -> list[str]:
    names = ["bridgenet_ros"]
    for info in pkgutil.walk_packages(bridgenet_ros.__path__, prefix="bridgenet_ros."):
        names.append(info.name)
    return sorted(names)


def _forbidden_for(module: str) -> list[str]:
    best = ""
    for prefix in RULES:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return list(RULES[best])


def _probe(module: str) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"importing {module} failed:\n{proc.stderr[-2000:]}"
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


MODULES = _all_modules()


def test_package_has_subpackages() -> None:
    for sub in ("model", "data", "runtime", "ros", "cli", "export", "train", "eval", "bench"):
        assert f"bridgenet_ros.{sub}" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_import_rules(module: str) -> None:
    loaded = set(_probe(module))
    forbidden = _forbidden_for(module)
    bad = sorted(
        name
        for name in forbidden
        if name in loaded or any(m.startswith(name + ".") for m in loaded)
    )
    assert not bad, f"importing {module} imports {bad}; import them lazily inside functions"
