# SPDX-License-Identifier: Apache-2.0
"""TensorRT build/cache/runtime against API-enforcing fakes, plus a real test where TRT exists."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bridgenet_ros.errors import BackendError, ExportError
from bridgenet_ros.runtime.backends.engine_cache import read_sidecar, sidecar_path

_spec = importlib.util.spec_from_file_location(
    "bridgenet_test_fakes_install", Path(__file__).resolve().parents[1] / "fakes" / "install.py"
)
assert _spec is not None and _spec.loader is not None
_install = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_install)


def _fake(monkeypatch: pytest.MonkeyPatch, version: str) -> ModuleType:
    return _install.install_fakes(monkeypatch, version)  # type: ignore[no-any-return]


def _inputs(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.random((1, 3, h, w), dtype=np.float32), rng.random((1, 1, h, w), dtype=np.float32)


@pytest.mark.parametrize("version", ["8.5.2", "8.6.1", "10.3.0", "11.0.0"])
def test_build_cache_and_run_match_onnxruntime(
    version: str, test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenet_ros.runtime.backends.factory import create_backend

    trt = _fake(monkeypatch, version)
    backend = create_backend(
        "tensorrt", test_onnx, cache_dir=tmp_path, input_hw=(32, 48), workspace_mb=64
    )
    assert backend.name == "tensorrt" and backend.input_hw == (32, 48)
    explicit = 1 if version.startswith("8.") else 0
    assert f"create_network({explicit})" in trt.calls
    engine = backend.engine_path  # type: ignore[attr-defined]
    assert engine.parent == tmp_path and f"trt{version}" in engine.name
    assert "32x48" in engine.name and "fake-gpu-9000" in engine.name
    key, props, onnx_path = read_sidecar(engine)
    assert onnx_path == test_onnx.resolve() and props["bridgenet.variant"] == "test"
    assert (tmp_path / "timing.cache").is_file()
    rgb, depth = _inputs(32, 48)
    sr, mde = backend.infer(rgb, depth)
    ref = create_backend("onnxruntime", test_onnx).infer(rgb, depth)
    np.testing.assert_allclose(sr, ref[0], atol=1e-6)
    assert mde is not None and ref[1] is not None
    np.testing.assert_allclose(mde, ref[1], atol=1e-6)
    # second construction reuses the cached engine, no new build
    n_builds = len(trt.built)
    create_backend("tensorrt", test_onnx, cache_dir=tmp_path, input_hw=(32, 48)).close()
    assert len(trt.built) == n_builds
    backend.close()


def test_inference_from_another_thread_pushes_the_context(
    test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    _fake(monkeypatch, "10.3.0")
    import pycuda.driver as fake_cuda

    backend = TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16))
    results: list[object] = []

    def work() -> None:
        try:
            results.append(backend.infer(*_inputs(16, 16))[0].shape)
        except Exception as err:  # noqa: BLE001 - the assertion below reports it
            results.append(err)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert results == [(1, 1, 16, 16)]
    assert "retain_primary_context" in fake_cuda.calls
    assert fake_cuda.calls.count("push") == fake_cuda.calls.count("pop")
    with pytest.raises(RuntimeError, match="no currently active context"):
        fake_cuda.mem_alloc(16)  # nothing pushed in this thread between calls
    backend.close()
    assert "detach" in fake_cuda.calls


def test_fp16_on_trt11_needs_an_fp16_onnx(
    test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    trt = _fake(monkeypatch, "11.0.0")
    with pytest.raises(ExportError, match="export --fp16"):
        TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16), fp16=True)
    trt.configure("10.3.0")
    backend = TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16), fp16=True)
    assert trt.built[-1]["fp16"] is True and "fp16" in backend.engine_path.name
    backend.close()


def test_stale_engine_is_rebuilt_or_refused(
    test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    trt = _fake(monkeypatch, "8.6.1")
    old = TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16))
    old_engine = old.engine_path
    old.close()
    trt.configure("10.3.0")  # the robot was upgraded (JetPack 5 -> 6)
    with pytest.raises(BackendError, match="trt_version.*building is disabled"):
        TensorRTBackend(old_engine, cache_dir=tmp_path, allow_build=False)
    rebuilt = TensorRTBackend(old_engine, cache_dir=tmp_path)
    assert rebuilt.engine_path != old_engine and "trt10.3.0" in rebuilt.engine_path.name
    assert len(trt.built) == 1 and trt.built[0]["version"] == "10.3.0"
    rebuilt.close()
    # a tampered sidecar (other GPU) is detected too
    data = json.loads(sidecar_path(rebuilt.engine_path).read_text())
    data["key"]["gpu_name"] = "Orin"
    sidecar_path(rebuilt.engine_path).write_text(json.dumps(data))
    with pytest.raises(BackendError, match="gpu_name"):
        TensorRTBackend(rebuilt.engine_path, cache_dir=tmp_path, allow_build=False)


def test_missing_size_and_no_cuda_binding(
    test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    _fake(monkeypatch, "10.3.0")
    with pytest.raises(BackendError, match="dynamic height/width"):
        TensorRTBackend(test_onnx, cache_dir=tmp_path)
    with pytest.raises(BackendError, match="no valid TensorRT engine"):
        TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16), allow_build=False)
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    with pytest.raises(BackendError, match="pycuda.*cuda-python"):
        TensorRTBackend(test_onnx, cache_dir=tmp_path, input_hw=(16, 16))


def test_real_tensorrt(test_onnx: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorrt", reason="TensorRT is not installable on this CPU machine")
    from bridgenet_ros.runtime.backends.factory import create_backend

    backend = create_backend("tensorrt", test_onnx, cache_dir=tmp_path, input_hw=(32, 48))
    rgb, depth = _inputs(32, 48)
    sr, _ = backend.infer(rgb, depth)
    ref = create_backend("onnxruntime", test_onnx).infer(rgb, depth)
    np.testing.assert_allclose(sr, ref[0], atol=1e-3)
    backend.close()


def test_cuda_python_binding(
    test_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenet_ros.runtime.backends.factory import create_backend

    _install.install_fakes(monkeypatch, "10.3.0", cuda_python=True)
    backend = create_backend(
        "tensorrt", test_onnx, cache_dir=tmp_path, input_hw=(16, 32), cuda_api="cuda-python"
    )
    rgb, depth = _inputs(16, 32)
    sr, _ = backend.infer(rgb, depth)
    ref = create_backend("onnxruntime", test_onnx).infer(rgb, depth)
    np.testing.assert_allclose(sr, ref[0], atol=1e-6)
    backend.close()
