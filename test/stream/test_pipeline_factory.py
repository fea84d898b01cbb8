# SPDX-License-Identifier: Apache-2.0
"""Node parameters -> backend options and pipeline (shared by the node and the bench)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.pipeline_factory import backend_options, build_pipeline


def test_tensorrt_options_are_names_the_backend_takes() -> None:
    cfg = NodeConfig(
        backend="tensorrt",
        precision="fp16",
        engine_cache_dir="~/engines",
        force_engine_rebuild=True,
    )
    options = backend_options(cfg)
    assert options["fp16"] is True and options["force"] is True
    assert options["cache_dir"] == str(Path("~/engines").expanduser())
    assert set(options) <= TensorRTBackend.OPTIONS


def test_no_tensorrt_options_for_cpu_backends() -> None:
    assert backend_options(NodeConfig(backend="onnxruntime", force_engine_rebuild=True)) == {}
    if importlib.util.find_spec("tensorrt") is None:
        assert backend_options(NodeConfig(backend="auto", force_engine_rebuild=True)) == {}


def test_cpu_threads_reach_onnxruntime_only() -> None:
    assert backend_options(NodeConfig(backend="onnxruntime", cpu_threads=2)) == {
        "intra_op_threads": 2
    }
    assert backend_options(NodeConfig(backend="torch", cpu_threads=2)) == {}
    assert "intra_op_threads" not in backend_options(NodeConfig(backend="tensorrt", cpu_threads=2))
    assert backend_options(NodeConfig(backend="onnxruntime")) == {}  # 0 = onnxruntime decides
    with pytest.raises(ConfigError, match="cpu_threads"):
        NodeConfig(cpu_threads=-1)


def test_cpu_threads_set_the_onnxruntime_session(tmp_path: Path) -> None:
    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.model import create_model

    onnx_path = tmp_path / "m.onnx"
    export_onnx(create_model("test").eval(), onnx_path, input_hw=(32, 48))
    pipeline, _, _ = build_pipeline(
        NodeConfig(model_path=str(onnx_path), backend="onnxruntime", cpu_threads=1)
    )
    options = pipeline.backend.session.get_session_options()
    assert options.intra_op_num_threads == 1


def test_builds_the_configured_pipeline(tmp_path: Path) -> None:
    from bridgenet_ros.model import create_model, save_checkpoint

    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, create_model("test"), {})
    pipeline, path, reason = build_pipeline(
        NodeConfig(
            model_path=str(ckpt),
            backend="torch",
            model_height=32,
            model_width=48,
            output_resolution="model",
            min_depth=0.2,
            max_depth=8.0,
        )
    )
    assert path == ckpt and reason == ""
    assert pipeline.backend.name == "torch"
    assert pipeline.config.model_hw == (32, 48)
    assert (pipeline.config.min_depth, pipeline.config.max_depth) == (0.2, 8.0)
    _, _, auto_reason = build_pipeline(NodeConfig(model_path=str(ckpt), backend="auto"))
    assert auto_reason


def test_missing_model_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build_pipeline(NodeConfig(model_path=str(tmp_path / "none.onnx"), backend="torch"))


def test_auto_is_decided_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridgenet_ros.model import create_model, save_checkpoint
    from bridgenet_ros.runtime.backends import factory

    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, create_model("test"), {})
    calls: list[Path] = []
    real = factory.choose_auto

    def counting(path: Path, **kwargs: object) -> factory.AutoChoice:
        calls.append(path)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(factory, "choose_auto", counting)
    pipeline, path, reason = build_pipeline(NodeConfig(model_path=str(ckpt), backend="auto"))
    try:
        assert calls == [ckpt] and path == ckpt and pipeline.backend.name == "torch"
        assert "torch" in reason
        rgb = np.zeros((48, 64, 3), np.uint8)
        pipeline.run(rgb, np.full((12, 16), 2.0, np.float32))
        assert len(calls) == 1  # running frames decides nothing again
    finally:
        pipeline.backend.close()


def test_deployment_graph_gets_a_graph_pipeline(tmp_path: Path) -> None:
    """The node/bench factory dispatches a ``bridgenet export --pipeline`` graph to GraphPipeline.

    Its depth limits are baked in: other start-up limits are a ConfigError naming the graph,
    and the stream refuses a run-time change without changing anything.
    """
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    import torch

    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx
    from bridgenet_ros.model import create_model
    from bridgenet_ros.runtime.graph_pipeline import GraphPipeline, GraphSettings
    from bridgenet_ros.stream.frame_stream import FrameStream

    torch.manual_seed(0)
    graph = tmp_path / "graph.onnx"
    settings = GraphSettings(min_depth=0.1, max_depth=10.0)
    export_pipeline_onnx(create_model("test").eval(), graph, settings, check=False)
    for backend in ("auto", "onnxruntime"):
        config = NodeConfig(model_path=str(graph), backend=backend)
        pipeline, path, reason = build_pipeline(config)
        assert isinstance(pipeline, GraphPipeline) and path == graph and reason == ""
        out = pipeline.run(np.zeros((48, 64, 3), np.uint8), np.full((12, 16), 2.0, np.float32))
        assert out.depth_sr.shape == (48, 64)
    stream = FrameStream(pipeline, config)
    with pytest.raises(ConfigError, match="baked into"):
        stream.configure(config.replace(max_depth=5.0, sync_slop=0.2))
    assert stream.config.sync_slop == config.sync_slop and stream.pairer.slop_s == config.sync_slop
    stream.configure(config.replace(sync_slop=0.2))
    assert stream.pairer.slop_s == pytest.approx(0.2)
    pipeline.backend.close()
    with pytest.raises(ConfigError, match="deployment graph that does not fit"):
        build_pipeline(NodeConfig(model_path=str(graph), backend="onnxruntime", max_depth=5.0))
    with pytest.raises(ConfigError, match="cannot run a deployment graph"):
        build_pipeline(NodeConfig(model_path=str(graph), backend="torch"))
