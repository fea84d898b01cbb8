# SPDX-License-Identifier: Apache-2.0
"""Deployment-graph runners: TensorRT (API-enforcing fakes, engine run by onnxruntime) vs ORT."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.errors import ExportError

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
torch = pytest.importorskip("torch", reason="torch is needed to export the graph")

_spec = importlib.util.spec_from_file_location(
    "bridgenet_test_fakes_install_graph",
    Path(__file__).resolve().parents[1] / "fakes" / "install.py",
)
assert _spec is not None and _spec.loader is not None
_install = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_install)


def _fake(monkeypatch: pytest.MonkeyPatch, version: str, cuda_python: bool = False) -> ModuleType:
    return _install.install_fakes(monkeypatch, version, cuda_python)  # type: ignore[no-any-return]


def _export(tmp: Path, fp16: bool) -> Path:
    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx
    from bridgenet_ros.model import create_model
    from bridgenet_ros.runtime.graph_pipeline import GraphSettings

    torch.manual_seed(0)
    name = "graph16.onnx" if fp16 else "graph.onnx"
    settings = GraphSettings(min_depth=0.1, max_depth=10.0)
    return export_pipeline_onnx(
        create_model("test"), tmp / name, settings, fp16=fp16, check=False
    ).path


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("graphs")
    return {"fp32": _export(tmp, False), "fp16": _export(tmp, True)}


def _frame(hw: tuple[int, int], lr_hw: tuple[int, int]) -> tuple[Any, Any]:
    rng = np.random.default_rng(5)
    depth = (1.0 + 2.0 * rng.random(lr_hw)).astype(np.float32)
    depth[rng.random(lr_hw) < 0.2] = np.nan
    return rng.integers(0, 256, (*hw, 3), dtype=np.uint8), depth


@pytest.mark.parametrize(
    ("version", "cuda_python"), [("8.6.1", False), ("10.3.0", True), ("11.0.0", False)]
)
def test_tensorrt_graph_runner_matches_onnxruntime(
    version: str, cuda_python: bool, graphs: dict[str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    from bridgenet_ros.runtime.backends.graph_runner import create_graph_pipeline

    trt = _fake(monkeypatch, version, cuda_python)
    pipe = create_graph_pipeline("tensorrt", graphs["fp32"], cache_dir=tmp_path, workspace_mb=64)
    assert pipe.backend.name == "tensorrt-graph" and not trt.built  # built at the first frame
    reference = create_graph_pipeline("onnxruntime", graphs["fp32"])
    for lr_hw in [(10, 14), (5, 7)]:  # one engine, any LR size
        rgb, depth = _frame((40, 56), lr_hw)
        got, ref = pipe.run(rgb, depth), reference.run(rgb, depth)
        np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
        np.testing.assert_allclose(got.depth_sr, ref.depth_sr, atol=1e-6, equal_nan=True)
        assert got.lr_dropped == ref.lr_dropped and got.depth_range == ref.depth_range
    assert len(trt.built) == 1
    engine = trt.built[0]
    assert engine["inputs"]["rgb"] == [40, 56, 3]
    assert engine["profiles"]["depth_lr"] == [[1, 1], [5, 7], [40, 56]]
    assert engine["strongly_typed"] == (version != "8.6.1")
    assert engine["dtypes"]["rgb"] == int(trt.DataType.UINT8)
    assert "40x56" in pipe.backend.engine_path.name  # type: ignore[attr-defined]
    pipe.close()
    again = create_graph_pipeline(
        "tensorrt", graphs["fp32"], cache_dir=tmp_path, input_hw=(40, 56)
    )
    assert len(trt.built) == 1  # the cached engine
    again.run(*_frame((40, 56), (10, 14)))
    again.run(*_frame((32, 48), (8, 12)))  # another camera size: another engine
    assert len(trt.built) == 2 and trt.built[1]["inputs"]["rgb"] == [32, 48, 3]
    again.close()


def test_tensorrt_graph_precision_rules(
    graphs: dict[str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    from bridgenet_ros.runtime.backends.graph_runner import create_graph_runner

    trt = _fake(monkeypatch, "10.3.0")
    with pytest.raises(ExportError, match="--pipeline --fp16"):
        create_graph_runner(
            "tensorrt", graphs["fp32"], cache_dir=tmp_path, fp16=True, input_hw=(40, 56)
        )
    runner = create_graph_runner(
        "tensorrt", graphs["fp16"], cache_dir=tmp_path, fp16=True, input_hw=(40, 56)
    )
    assert trt.built[-1]["strongly_typed"] and not trt.built[-1]["fp16"]
    runner.close()
    trt = _fake(monkeypatch, "8.6.1")
    runner = create_graph_runner(
        "tensorrt", graphs["fp32"], cache_dir=tmp_path, fp16=True, input_hw=(40, 56)
    )
    assert trt.built[-1]["fp16"] and not trt.built[-1]["strongly_typed"]
    runner.close()


def test_build_engine_cli_prebuilds_the_graph_engine(
    graphs: dict[str, Path], tmp_path: Path, monkeypatch: Any
) -> None:
    """``bridgenet build-engine`` on a graph: any RGB size (no stride rule), reused at run time."""
    from bridgenet_ros.cli.main import main
    from bridgenet_ros.runtime.backends.graph_runner import create_graph_pipeline

    trt = _fake(monkeypatch, "10.3.0")
    argv = ["build-engine", "--onnx", str(graphs["fp32"]), "--cache-dir", str(tmp_path)]
    assert main([*argv, "--height", "41", "--width", "57"]) == 0
    assert len(trt.built) == 1 and trt.built[0]["inputs"]["rgb"] == [41, 57, 3]
    pipe = create_graph_pipeline("tensorrt", graphs["fp32"], cache_dir=tmp_path, allow_build=False)
    result = pipe.run(*_frame((41, 57), (10, 14)))
    assert result.depth_sr.shape == (41, 57) and len(trt.built) == 1
    pipe.close()
