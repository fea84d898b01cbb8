# SPDX-License-Identifier: Apache-2.0
"""Import rules of docs/development.md, checked in fresh interpreters.

A robot running a TensorRT engine has numpy, tensorrt and pycuda only: ``runtime`` must not pull
in torch, PIL or OpenCV at import; the ``stream`` layer (codec, pairing, parameters, pipeline
factory, FrameStream) is used offline without ROS and never imports ``ros``; the CLI must start
without importing torch; nothing but ``ros`` may import rclpy.
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
    "bridgenet_ros.stream": HEAVY + ["sensor_msgs", "bridgenet_ros.ros", "bridgenet_ros.train"],
    "bridgenet_ros.ros": ["torch", "bridgenet_ros.train", "bridgenet_ros.export"],
    "bridgenet_ros.cli": ["torch", "onnxruntime", "rclpy", "tensorrt", "cv2", "matplotlib"],
    "bridgenet_ros.model": ["rclpy", "onnxruntime", "tensorrt", "cv2"],
    "bridgenet_ros.data": ["rclpy", "tensorrt", "onnxruntime", "bridgenet_ros.ros"],
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


def _probe(modules: list[str]) -> dict[str, list[str]]:
    """Import ``modules`` one after another in a fresh interpreter.

    Returns, for each module, the modules that became loaded while importing it (so a
    forbidden import is blamed on the module that caused it).
    """
    code = (
        "import importlib, json, sys\n"
        "new = {}\n"
        f"for name in {modules!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    new[name] = sorted(set(sys.modules) - before)\n"
        "print(json.dumps(new))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"importing {modules} failed:\n{proc.stderr[-2000:]}"
    result: dict[str, list[str]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _rule_of(module: str) -> str:
    best = ""
    for prefix in RULES:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return best


MODULES = _all_modules()
# One interpreter per rule: a module imported after its package was imported still has its own
# list of newly loaded modules, and the rule is the same for every module of the group.
GROUPS: dict[str, list[str]] = {}
for _name in MODULES:
    GROUPS.setdefault(_rule_of(_name), []).append(_name)


def test_package_has_subpackages() -> None:
    subpackages = ("model", "data", "runtime", "stream", "ros", "cli", "export", "train", "eval")
    for sub in (*subpackages, "bench"):
        assert f"bridgenet_ros.{sub}" in MODULES


@pytest.mark.parametrize("rule", sorted(GROUPS))
def test_import_rules(rule: str) -> None:
    forbidden = RULES[rule]
    problems = []
    for module, loaded in _probe(GROUPS[rule]).items():
        bad = sorted(
            name
            for name in forbidden
            if name in loaded or any(m.startswith(name + ".") for m in loaded)
        )
        if bad:
            problems.append(f"importing {module} imports {bad}")
    assert not problems, "; ".join(problems) + " -- import them lazily inside functions"
