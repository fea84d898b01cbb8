# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.errors import BackendError, ConfigError
from bridgenet_ros.runtime.backends.base import ModelMeta
from bridgenet_ros.runtime.backends.factory import choose_auto, create_backend


def _inputs(h: int = 32, w: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.random((1, 3, h, w), dtype=np.float32), rng.random((1, 1, h, w), dtype=np.float32)


def test_torch_vs_onnxruntime_parity(test_checkpoint: Path, test_onnx: Path) -> None:
    torch_backend = create_backend("torch", test_checkpoint)
    ort_backend = create_backend(
        "onnxruntime", test_onnx, intra_op_threads=1, graph_optimization_level="all"
    )
    assert (torch_backend.stride, torch_backend.has_mde) == (
        ort_backend.stride,
        ort_backend.has_mde,
    )
    assert ort_backend.input_hw is None and ort_backend.name == "onnxruntime"
    rgb, depth = _inputs()
    sr_t, mde_t = torch_backend.infer(rgb, depth)
    sr_o, mde_o = ort_backend.infer(rgb, depth)
    assert sr_t.shape == sr_o.shape == (1, 1, 32, 48)
    np.testing.assert_allclose(sr_o, sr_t, atol=1e-4)
    assert mde_t is not None and mde_o is not None
    np.testing.assert_allclose(mde_o, mde_t, atol=1e-4)


def test_onnx_metadata_round_trip(test_onnx: Path) -> None:
    import onnx

    props = {p.key: p.value for p in onnx.load(str(test_onnx)).metadata_props}
    meta = ModelMeta.from_metadata_props(props, str(test_onnx))
    assert meta.variant == "test" and meta.input_hw is None and meta.precision == "fp32"
    assert meta.config["variant"] == "test" and meta.stride == 16
    assert ModelMeta.from_metadata_props(meta.to_metadata_props(), "x") == meta


def test_onnx_without_metadata_is_refused(test_onnx: Path, tmp_path: Path) -> None:
    import onnx

    proto = onnx.load(str(test_onnx))
    del proto.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    onnx.save(proto, str(bare))
    with pytest.raises(BackendError, match="bridgenet export"):
        create_backend("onnxruntime", bare)


def test_onnxruntime_cuda_missing_is_an_error(test_onnx: Path) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider; the error path cannot be reached")
    with pytest.raises(BackendError, match="onnxruntime-gpu"):
        create_backend("onnxruntime", test_onnx, device="cuda")


def test_explicit_backend_not_installed_names_the_package(
    test_onnx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    with pytest.raises(BackendError, match="pip install onnxruntime"):
        create_backend("onnxruntime", test_onnx)
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    with pytest.raises(BackendError, match="TensorRT"):
        create_backend("tensorrt", test_onnx)


def test_factory_argument_errors(test_checkpoint: Path, test_onnx: Path) -> None:
    with pytest.raises(ConfigError, match="unknown backend"):
        create_backend("openvino", test_onnx)
    with pytest.raises(ConfigError, match="cannot run"):
        create_backend("onnxruntime", test_checkpoint)
    with pytest.raises(ConfigError, match="cannot run"):
        create_backend("torch", test_onnx)
    with pytest.raises(ConfigError, match="does not take"):
        create_backend("torch", test_checkpoint, intra_op_threads=2)
    with pytest.raises(ConfigError, match="not known to any backend"):
        create_backend("auto", test_checkpoint, colour="red")


def test_auto_order(tmp_path: Path) -> None:
    pt = tmp_path / "m.pt"
    onnx_file = tmp_path / "m.onnx"
    pt.write_bytes(b"")
    onnx_file.write_bytes(b"")
    everything = {"tensorrt", "pycuda.driver", "torch"}

    def probe(have: set[str]):  # type: ignore[no-untyped-def]
        return lambda name: name in have

    gpu = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    choice = choose_auto(pt, importable=probe(everything), ort_providers=lambda: gpu)
    assert (choice.name, choice.model_path) == ("tensorrt", onnx_file)
    choice = choose_auto(pt, importable=probe({"torch"}), ort_providers=lambda: gpu)
    assert (choice.name, choice.options) == ("onnxruntime", {"device": "cuda"})
    assert "tensorrt: not importable" in choice.reason
    choice = choose_auto(
        onnx_file,
        importable=probe({"tensorrt"}),  # no CUDA binding
        ort_providers=lambda: ["CPUExecutionProvider"],
    )
    assert (choice.name, choice.options) == ("onnxruntime", {"device": "cpu"})
    choice = choose_auto(onnx_file, importable=probe({"torch"}), ort_providers=lambda: [])
    assert (choice.name, choice.model_path) == ("torch", pt)
    with pytest.raises(BackendError, match="found nothing"):
        choose_auto(onnx_file, importable=probe(set()), ort_providers=lambda: [])


def test_auto_logs_its_choice(
    test_onnx: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    with caplog.at_level(logging.INFO, logger="bridgenet_ros.runtime.backends.factory"):
        backend = create_backend("auto", test_onnx, intra_op_threads=1, device="cpu")
    assert backend.name == "onnxruntime"
    assert "backend auto -> onnxruntime" in caplog.text and "tensorrt" in caplog.text


def test_onnxruntime_spinning_is_off_unless_asked(test_onnx: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from bridgenet_ros.runtime.backends.onnxruntime_backend import SPINNING_KEYS, _session_options

    default = _session_options(ort, "all", 2, None)
    spinning = _session_options(ort, "all", 2, None, allow_spinning=True)
    for key in SPINNING_KEYS:
        assert default.get_session_config_entry(key) == "0"
        assert spinning.get_session_config_entry(key) == "1"
    rgb, depth = _inputs()
    quiet = create_backend("onnxruntime", test_onnx, intra_op_threads=1)
    spins = create_backend("onnxruntime", test_onnx, intra_op_threads=1, allow_spinning=True)
    np.testing.assert_array_equal(quiet.infer(rgb, depth)[0], spins.infer(rgb, depth)[0])
