# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bridgenet_ros.cli.main import main
from bridgenet_ros.runtime.backends.engine_cache import read_sidecar

_spec = importlib.util.spec_from_file_location(
    "bridgenet_test_fakes_install_export",
    Path(__file__).resolve().parents[1] / "fakes" / "install.py",
)
assert _spec is not None and _spec.loader is not None
_install = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_install)


@pytest.fixture(scope="module")
def fixed_onnx(test_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.model import load_model

    out = tmp_path_factory.mktemp("onnx") / "fixed.onnx"
    export_onnx(load_model(test_checkpoint), out, input_hw=(16, 32))
    return out


def test_build_engine_cli_builds_reuses_and_forces(
    fixed_onnx: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trt = _install.install_fakes(monkeypatch, "8.6.1")
    argv = [
        "build-engine",
        "--onnx",
        str(fixed_onnx),
        "--cache-dir",
        str(tmp_path),
        "--workspace-mb",
        "256",
    ]
    assert main(argv) == 0
    engine = Path(capsys.readouterr().out.split("engine: ")[1].strip())
    key, _, _ = read_sidecar(engine)
    assert (key.height, key.width, key.trt_version) == (16, 32, "8.6.1")
    assert main(argv) == 0 and len(trt.built) == 1  # reused
    assert main([*argv, "--force"]) == 0 and len(trt.built) == 2
    assert main([*argv, "--height", "32", "--width", "32"]) == 1  # fixed ONNX is 16x32
    assert "exported for 16x32" in capsys.readouterr().err
    assert main([*argv, "--height", "32"]) == 2


def test_build_engine_cli_without_tensorrt(
    fixed_onnx: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tensorrt", None)
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    monkeypatch.setitem(sys.modules, "cuda", None)
    assert main(["build-engine", "--onnx", str(fixed_onnx)]) == 1
    # TensorRT is what is missing first; pycuda is mentioned only as the second need
    assert "error: backend 'tensorrt' needs the TensorRT Python package" in capsys.readouterr().err


def test_build_engine_cli_with_tensorrt_without_cuda_binding(
    fixed_onnx: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    _install.install_fakes(monkeypatch, "8.6.1")
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    monkeypatch.setitem(sys.modules, "cuda", None)
    assert main(["build-engine", "--onnx", str(fixed_onnx)]) == 1
    assert "error: the tensorrt backend needs pycuda" in capsys.readouterr().err
