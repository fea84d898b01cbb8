# SPDX-License-Identifier: Apache-2.0
"""Import rules of docs/development.md: in fresh interpreters and statically on the source.

The subprocess tests see what importing a module really loads (third-party dependencies too);
the static tests parse every module and also see imports inside functions, which run later.
A robot running a TensorRT engine has numpy, tensorrt and pycuda only: ``runtime`` must not pull
in torch, PIL or OpenCV at import; the ``stream`` layer (codec, pairing, parameters, pipeline
factory, FrameStream) is used offline without ROS and never imports ``ros``; the CLI must start
without importing torch; nothing but ``ros`` may import rclpy.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import bridgenet_ros

HEAVY = ["torch", "onnxruntime", "tensorrt", "pycuda", "rclpy", "cv2", "PIL", "matplotlib"]

# module (or package prefix) -> top-level modules that must NOT be imported by importing it
RULES: dict[str, list[str]] = {
    "bridgenet_ros": HEAVY,
    "bridgenet_ros.errors": HEAVY,
    "bridgenet_ros.config_io": HEAVY,
    "bridgenet_ros.blas": HEAVY + ["numpy"],
    "bridgenet_ros.malloc": HEAVY + ["numpy"],
    "bridgenet_ros.runtime": HEAVY + ["bridgenet_ros.train", "bridgenet_ros.export"],
    "bridgenet_ros.ros": ["torch", "bridgenet_ros.train", "bridgenet_ros.export"],
    # the ROS-free stream layer
    "bridgenet_ros.stream": HEAVY + ["sensor_msgs", "bridgenet_ros.ros", "bridgenet_ros.train"],
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


# Runs in one fresh interpreter: each group of modules is imported in its own forked child, so
# every group starts from a clean ``sys.modules``; groups whose rule allows torch fork after the
# parent imported torch once (importing torch costs seconds, more than the rest together).
_PROBE = """
import importlib, json, os, sys

def probe(modules):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            new = {}
            for name in modules:
                before = set(sys.modules)
                importlib.import_module(name)
                new[name] = sorted(set(sys.modules) - before)
            out = {"new": new}
        except BaseException as err:
            out = {"error": f"importing {modules} failed: {err!r}"}
        with os.fdopen(write, "w") as f:
            json.dump(out, f)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out = json.load(f)
    os.waitpid(pid, 0)
    return out

light, heavy = json.loads(sys.argv[1])
results = {rule: probe(modules) for rule, modules in light.items()}
import torch
results.update({rule: probe(modules) for rule, modules in heavy.items()})
print(json.dumps(results))
"""


def _probe_all(groups: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Import each group of modules in a clean state; see ``_PROBE``.

    Returns:
        For each rule ``{"new": {module: modules newly loaded by importing it}}`` (so a
        forbidden import is blamed on the module that caused it) or ``{"error": message}``.
    """
    light = {rule: mods for rule, mods in groups.items() if "torch" in RULES[rule]}
    heavy = {rule: mods for rule, mods in groups.items() if "torch" not in RULES[rule]}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([light, heavy])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"the import probe failed:\n{proc.stderr[-2000:]}"
    result: dict[str, dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _rule_of(module: str) -> str:
    best = ""
    for prefix in RULES:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return best


MODULES = _all_modules()
# One clean start per rule: a module imported after its package was imported still has its own
# list of newly loaded modules, and the rule is the same for every module of the group.
GROUPS: dict[str, list[str]] = {}
for _name in MODULES:
    GROUPS.setdefault(_rule_of(_name), []).append(_name)


def test_package_has_subpackages() -> None:
    subpackages = ("model", "data", "runtime", "stream", "ros", "cli", "export", "train", "eval")
    for sub in (*subpackages, "bench"):
        assert f"bridgenet_ros.{sub}" in MODULES


@pytest.fixture(scope="module")
def probed() -> dict[str, dict[str, Any]]:
    """What importing each module loads, for every rule group (one interpreter for all)."""
    return _probe_all(GROUPS)


@pytest.mark.parametrize("rule", sorted(GROUPS))
def test_import_rules(rule: str, probed: dict[str, dict[str, Any]]) -> None:
    forbidden = RULES[rule]
    assert "error" not in probed[rule], probed[rule].get("error")
    problems = []
    for module, loaded in probed[rule]["new"].items():
        bad = sorted(
            name
            for name in forbidden
            if name in loaded or any(m.startswith(name + ".") for m in loaded)
        )
        if bad:
            problems.append(f"importing {module} imports {bad}")
    assert not problems, "; ".join(problems) + " -- import them lazily inside functions"


# ---------------------------------------------------------------------------------------------
# Static rules: every module parsed with ``ast``, imports inside functions included (the
# subprocess test above only sees what is imported at import time).
# ---------------------------------------------------------------------------------------------

PACKAGE_DIR = Path(bridgenet_ros.__file__).resolve().parent

#: ROS 2 client libraries and message packages (besides any ``*_msgs``); ``rosbags`` is not one
ROS_LIBS = frozenset(
    {
        "rclpy",
        "rcl_interfaces",
        "builtin_interfaces",
        "message_filters",
        "cv_bridge",
        "diagnostic_updater",
        "launch",
        "launch_ros",
        "rosidl_runtime_py",
    }
)

#: subpackage -> the package's subpackages it may import (anywhere, lazily included); a new
#: subpackage must be added here before its first import passes
LAYERS: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "blas": frozenset(),
    "malloc": frozenset(),
    "config_io": frozenset({"errors"}),
    "model": frozenset({"errors", "config_io"}),
    # the torch backend loads checkpoints through model/, lazily
    "runtime": frozenset({"errors", "config_io", "model"}),
    "data": frozenset({"errors", "config_io", "runtime", "stream"}),
    # ROS-free frame streams (issue 13): runtime below it, never ros/ or torch
    "stream": frozenset({"errors", "config_io", "runtime", "data"}),
    "eval": frozenset({"errors", "config_io", "model", "runtime", "data", "stream"}),
    "train": frozenset({"errors", "config_io", "model", "runtime", "data", "eval"}),
    "export": frozenset({"errors", "config_io", "model", "runtime"}),
    "ros": frozenset({"errors", "blas", "malloc", "config_io", "runtime", "stream"}),
    # eval: the real-sensor protocol (self-down-sampling, region scores) of bench --downsample
    "bench": frozenset({"errors", "config_io", "runtime", "data", "stream", "ros", "eval"}),
    "cli": frozenset(
        {"errors", "blas", "malloc", "config_io", "model", "runtime", "data", "stream", "eval"}
        | {"train", "export", "ros", "bench"}
    ),
}

#: third-party library -> module prefixes allowed to import it at all (lazily or not)
LIBRARY_OWNERS: dict[str, tuple[str, ...]] = {
    "torch": (
        "bridgenet_ros.model",
        "bridgenet_ros.data",
        "bridgenet_ros.train",
        "bridgenet_ros.eval",
        "bridgenet_ros.export",
        "bridgenet_ros.cli",
        "bridgenet_ros.runtime.backends.torch_backend",
    ),
    "onnxruntime": ("bridgenet_ros.runtime.backends", "bridgenet_ros.export"),
    "tensorrt": ("bridgenet_ros.runtime.backends", "bridgenet_ros.export"),
    "pycuda": ("bridgenet_ros.runtime.backends", "bridgenet_ros.export"),
    "cuda": ("bridgenet_ros.runtime.backends", "bridgenet_ros.export"),
    "ros": ("bridgenet_ros.ros", "bridgenet_ros.bench.live"),
    # a share-directory lookup (no ROS client): the CLI finds installed config files with it
    "ament_index_python": ("bridgenet_ros.ros", "bridgenet_ros.bench.live", "bridgenet_ros.cli"),
}

#: the only third-party library model/ may import
MODEL_LIBRARIES = frozenset({"torch"})

#: (importer, imported) pairs that break a rule today and are being fixed; the test fails on
#: any other violation and on an entry that no longer occurs (then delete the entry).
ALLOWED_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target as seen in the source."""

    importer: str
    target: str  # absolute dotted name (a module, or ``module.attribute``)
    line: int
    lazy: bool  # inside a function body
    type_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[Import] = []
        self._functions = 0
        self._type_checking = 0

    def _add(self, target: str, node: ast.AST) -> None:
        self.found.append(
            Import(
                self.module,
                target,
                getattr(node, "lineno", 0),
                self._functions > 0,
                self._type_checking > 0,
            )
        )

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._functions += 1
        self.generic_visit(node)
        self._functions -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self._type_checking += 1
        for child in node.body:
            self.visit(child)
        self._type_checking -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        for alias in node.names:
            self._add(f"{base}.{alias.name}" if alias.name != "*" else base, node)

    def visit_Call(self, node: ast.Call) -> None:
        # importlib.import_module("literal") counts as an import; computed names cannot be seen
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(arg.value, node)
        self.generic_visit(node)


def _parse_package() -> tuple[dict[str, Path], list[Import]]:
    files = {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}
    imports: list[Import] = []
    for name, path in files.items():
        collector = _ImportCollector(name, path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(), filename=str(path)))
        imports.extend(collector.found)
    return files, imports


FILES, IMPORTS = _parse_package()


def _resolve(target: str) -> str:
    """The module an import loads: ``pkg.mod.attr`` -> ``pkg.mod``; third-party: top level."""
    if not target.startswith("bridgenet_ros"):
        return target.split(".")[0]
    while target not in FILES and "." in target:
        target = target.rpartition(".")[0]
    return target


def _subpackage(module: str) -> str:
    """``bridgenet_ros.runtime.pipeline`` -> ``runtime``; the package root -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _library(name: str) -> str:
    """The rule key of a third-party top-level module (every ROS library is ``ros``)."""
    return "ros" if name in ROS_LIBS or name.endswith("_msgs") else name


def _is_third_party(name: str) -> bool:
    return name != "bridgenet_ros" and name not in sys.stdlib_module_names


def _violations() -> list[tuple[str, str, str]]:
    """``(importer, imported, why)`` for every import that breaks a rule."""
    found = []
    for imp in IMPORTS:
        target = _resolve(imp.target)
        layer = _subpackage(imp.importer)
        if target.startswith("bridgenet_ros"):
            other = _subpackage(target)
            if other and other != layer and layer and other not in LAYERS.get(layer, ()):
                found.append((imp.importer, target, f"{layer}/ may not import {other}/"))
            continue
        if not _is_third_party(target):
            continue
        if layer == "model" and target not in MODEL_LIBRARIES:
            found.append((imp.importer, target, "model/ imports torch only"))
        owners = LIBRARY_OWNERS.get(_library(target))
        if owners and not any(
            imp.importer == o or imp.importer.startswith(o + ".") for o in owners
        ):
            found.append((imp.importer, target, f"only {list(owners)} may import {target}"))
    return found


def test_every_subpackage_has_a_layer_rule() -> None:
    subpackages = {_subpackage(m) for m in FILES} - {""}
    assert not subpackages - set(LAYERS), (
        f"add {sorted(subpackages - set(LAYERS))} to LAYERS with the subpackages it may import"
    )


def test_collector_sees_function_local_and_type_only_imports() -> None:
    source = (
        "import numpy\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import torch\n"
        "class A:\n"
        "    def f(self):\n"
        "        from ..ros import codec\n"
        "        importlib.import_module('tensorrt')\n"
    )
    collector = _ImportCollector("bridgenet_ros.data.x", is_package=False)
    collector.visit(ast.parse(source))
    seen = {(i.target, i.lazy, i.type_only) for i in collector.found}
    assert ("numpy", False, False) in seen
    assert ("torch", False, True) in seen
    assert ("bridgenet_ros.ros.codec", True, False) in seen
    assert ("tensorrt", True, False) in seen


def test_static_layer_and_library_rules() -> None:
    problems = [
        f"{importer} imports {target}: {why}"
        for importer, target, why in _violations()
        if (importer, target) not in ALLOWED_VIOLATIONS
    ]
    assert not problems, "\n".join(problems)


def test_allowed_violations_still_occur() -> None:
    current = {(importer, target) for importer, target, _ in _violations()}
    stale = sorted(ALLOWED_VIOLATIONS - current)
    assert not stale, f"fixed: delete {stale} from ALLOWED_VIOLATIONS"


def _load_closure() -> dict[str, set[str]]:
    """For each module, what importing it loads at import time (parents and third party too)."""
    direct: dict[str, set[str]] = {name: set() for name in FILES}
    for imp in IMPORTS:
        if not imp.lazy and not imp.type_only:
            direct[imp.importer].add(_resolve(imp.target))
    for name in FILES:  # importing a.b.c runs a/__init__ and a/b/__init__ first
        parent = name.rpartition(".")[0]
        if parent in FILES:
            direct[name].add(parent)
    closure: dict[str, set[str]] = {}
    for name in FILES:
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            for dep in direct.get(current, ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        closure[name] = seen - {name}
    return closure


def test_static_import_time_rules() -> None:
    """The :data:`RULES` of the subprocess test, on the source: lazy means inside a function."""
    closure = _load_closure()
    problems = []
    for module in sorted(FILES):
        forbidden = RULES.get(_rule_of(module), [])
        bad = sorted(
            f for f in forbidden if any(m == f or m.startswith(f + ".") for m in closure[module])
        )
        if bad:
            problems.append(f"importing {module} loads {bad}")
    assert not problems, (
        "; ".join(problems) + " -- import them inside the function that needs them"
    )
