# SPDX-License-Identifier: Apache-2.0
"""Checks of launch/sr.launch.py, config/bridgenet.yaml and config/bridgenet.rviz.

``launch``/``launch_ros`` are not installable from PyPI, so the launch file is checked
statically (parsed with ``ast``); the launch_testing test below runs where ROS 2 is installed.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridgenet_ros.stream.params import PARAMETERS, NodeConfig

REPO = Path(__file__).resolve().parents[1]
LAUNCH = REPO / "launch" / "sr.launch.py"
PARAMS_YAML = REPO / "config" / "bridgenet.yaml"
RVIZ = REPO / "config" / "bridgenet.rviz"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def _kwarg(call: ast.Call, name: str) -> ast.expr:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    raise AssertionError(f"{ast.unparse(call.func)}(...) has no {name}=")


def _launch_config_name(expr: ast.expr) -> str:
    assert isinstance(expr, ast.Call) and getattr(expr.func, "id", "") == "LaunchConfiguration"
    arg = expr.args[0]
    assert isinstance(arg, ast.Constant)
    return str(arg.value)


def _constant(tree: ast.Module, expr: ast.expr) -> Any:
    """A literal, or the literal a module-level ``NAME = ...`` binds."""
    if isinstance(expr, ast.Name):
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expr.id for t in statement.targets
            ):
                return ast.literal_eval(statement.value)
        raise AssertionError(f"{expr.id} is not bound at module level")
    return ast.literal_eval(expr)


@pytest.fixture(scope="module")
def tree() -> ast.Module:
    return ast.parse(LAUNCH.read_text(), filename=str(LAUNCH))


def test_declared_arguments_and_realsense_defaults(tree: ast.Module) -> None:
    declared: dict[str, Any] = {}
    for call in _calls(tree, "DeclareLaunchArgument"):
        name = call.args[0]
        assert isinstance(name, ast.Constant)
        default = _kwarg(call, "default_value")
        declared[name.value] = default.value if isinstance(default, ast.Constant) else default
        assert isinstance(_kwarg(call, "description"), ast.Constant)
    assert set(declared) == {
        "params_file",
        "model_path",
        "backend",
        "namespace",
        "rgb_topic",
        "camera_info_topic",
        "depth_topic",
        "depth_camera_info_topic",
        "use_rviz",
        "log_level",
    }
    assert declared["rgb_topic"] == "/camera/camera/color/image_raw"
    assert declared["camera_info_topic"] == "/camera/camera/color/camera_info"
    assert declared["depth_topic"] == "/camera/camera/depth/image_rect_raw"
    assert declared["depth_camera_info_topic"] == "/camera/camera/depth/camera_info"
    assert declared["backend"] == "auto" and declared["use_rviz"] == "false"
    assert declared["log_level"] == "info"
    # the params file and model default to the installed share folder
    assert "bridgenet.yaml" in ast.unparse(tree) and "bridgenet_lite.onnx" in ast.unparse(tree)


def test_node_action_package_executable_params_and_remappings(tree: ast.Module) -> None:
    nodes = [
        c
        for c in _calls(tree, "Node")
        if ast.literal_eval(_kwarg(c, "executable")) == "bridgenet_node"
    ]
    assert len(nodes) == 1
    node = nodes[0]
    assert _constant(tree, _kwarg(node, "package")) == "bridgenet_ros"
    assert ast.literal_eval(_kwarg(node, "name")) == "bridgenet"
    assert _launch_config_name(_kwarg(node, "namespace")) == "namespace"
    params = _kwarg(node, "parameters")
    assert isinstance(params, ast.List)
    assert _launch_config_name(params.elts[0]) == "params_file"
    overrides = params.elts[1]
    assert isinstance(overrides, ast.Dict)
    mapping = {
        ast.literal_eval(k): _launch_config_name(v)
        for k, v in zip(overrides.keys, overrides.values)
        if k is not None
    }
    assert mapping == {"model_path": "model_path", "backend": "backend"}
    remaps = _kwarg(node, "remappings")
    assert isinstance(remaps, ast.List)
    pairs = {}
    for element in remaps.elts:
        assert isinstance(element, ast.Tuple)
        pairs[ast.literal_eval(element.elts[0])] = _launch_config_name(element.elts[1])
    assert pairs == {
        "rgb/image": "rgb_topic",
        "rgb/camera_info": "camera_info_topic",
        "depth/image": "depth_topic",
        "depth/camera_info": "depth_camera_info_topic",
    }
    arguments = ast.unparse(_kwarg(node, "arguments"))
    assert "--log-level" in arguments and "log_level" in arguments


def test_rviz_is_conditional_on_use_rviz(tree: ast.Module) -> None:
    rviz = [
        c for c in _calls(tree, "Node") if ast.literal_eval(_kwarg(c, "executable")) == "rviz2"
    ]
    assert len(rviz) == 1
    condition = _kwarg(rviz[0], "condition")
    assert isinstance(condition, ast.Call) and getattr(condition.func, "id", "") == "IfCondition"
    assert _launch_config_name(condition.args[0]) == "use_rviz"
    assert "bridgenet.rviz" in ast.unparse(tree)


def test_executable_is_a_console_script() -> None:
    """setup.py's ``bridgenet_node`` console script resolves to a callable ``main``."""
    import importlib

    tree = ast.parse((REPO / "setup.py").read_text())
    scripts = next(
        ast.literal_eval(kw.value)["console_scripts"]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "entry_points"
    )
    targets = dict(entry.replace(" ", "").split("=") for entry in scripts)
    module, func = targets["bridgenet_node"].split(":")
    assert callable(getattr(importlib.import_module(module), func))
    assert targets["bridgenet"] == "bridgenet_ros.cli.main:main"


def test_params_yaml_declares_every_parameter_validly() -> None:
    text = PARAMS_YAML.read_text()
    params = yaml.safe_load(text)["/**"]["ros__parameters"]
    # an empty list has no element type in a ROS params file: depth_to_rgb (default empty)
    # appears as a commented example, which must itself be a valid value
    assert set(params) == {spec.name for spec in PARAMETERS} - {"depth_to_rgb"}
    for spec in PARAMETERS:  # ROS types are strict: 0 is not a double
        if spec.name in params:
            assert type(params[spec.name]) is spec.kind, spec.name
    config = NodeConfig(**params)
    assert config.backend == "auto" and config.model_path == ""
    assert not config.register_depth and not config.depth_to_rgb_from_tf
    example = next(line for line in text.splitlines() if "# depth_to_rgb:" in line)
    value = yaml.safe_load(example.split("depth_to_rgb:")[1].split("#")[0])
    assert all(isinstance(v, float) for v in value)  # a double array, as declared
    assert NodeConfig(register_depth=True, depth_to_rgb=value).extrinsic() is not None


def test_rviz_shows_rgb_input_sr_and_mde_depth() -> None:
    data = yaml.safe_load(RVIZ.read_text())
    displays = data["Visualization Manager"]["Displays"]
    topics = {d["Topic"]["Value"] for d in displays if d["Class"].endswith("/Image")}
    assert topics == {
        "/camera/camera/color/image_raw",
        "/camera/camera/depth/image_rect_raw",
        "/depth_sr/image",
        "/depth_mde/image",
    }


@pytest.mark.ros
@pytest.mark.skipif(
    importlib.util.find_spec("launch_testing") is None
    or importlib.util.find_spec("launch_ros") is None,
    reason="launch_testing/launch_ros are not installable from PyPI; this runs in a ROS 2 "
    "workspace (colcon test) only",
)
def test_launch_file_loads_with_launch_ros() -> None:
    from launch.actions import DeclareLaunchArgument

    from launch import LaunchDescription

    spec = importlib.util.spec_from_file_location("sr_launch", LAUNCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    assert isinstance(description, LaunchDescription)
    names = {e.name for e in description.entities if isinstance(e, DeclareLaunchArgument)}
    assert {"params_file", "model_path", "use_rviz", "log_level"} <= names
