# SPDX-License-Identifier: Apache-2.0
"""The deployment graph (``export --pipeline``) against the numpy pipeline, tiny model (CPU)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridgenet_ros.errors import BackendError, ConfigError
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.graph_pipeline import GraphPipeline, GraphSettings

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
onnx = pytest.importorskip("onnx", reason="onnx is not installed")
torch = pytest.importorskip("torch", reason="torch is needed to export")

# Every op must be in TensorRT's ONNX parser support matrix (onnx-tensorrt docs/operators.md):
# the network's own ops (test/model/test_onnx.py) plus, for the pre/post-processing:
GRAPH_OPS = {
    # the network (test/model/test_onnx.py TRT_FRIENDLY)
    *("Add", "AveragePool", "Concat", "Constant", "Conv", "DepthToSpace", "Div", "MaxPool"),
    *("Mul", "LeakyRelu", "ReduceMax", "ReduceMean", "Relu", "Resize", "Sigmoid", "Softmax"),
    "Sub",
    # elementwise math of the mask, range and kernels (FP32): supported, no restrictions
    *("Abs", "Exp", "Floor", "Max", "Min", "MatMul", "ReduceMin", "ReduceSum"),
    # the flat guard's plane residual (FP32/FP16 unary: supported)
    "Sqrt",
    # comparisons and boolean logic (BOOL): supported; NaN/inf are caught by comparisons, so
    # neither IsNaN nor IsInf (unsupported before TensorRT 8.6) is needed
    *("Greater", "GreaterOrEqual", "Less", "LessOrEqual", "And", "Or", "Not", "Where"),
    # shapes and indexing: Range with integer bounds only (float Range needs constant bounds),
    # Slice/Unsqueeze with constant axes, Gather for padding and nearest sampling
    *("Cast", "ConstantOfShape", "Gather", "Pad", "Range", "Reshape", "Shape", "Slice"),
    *("Transpose", "Unsqueeze"),
}
SETTINGS = GraphSettings(min_depth=0.1, max_depth=10.0)


def _frame(hw: tuple[int, int], lr_hw: tuple[int, int], seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (*hw, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0 : lr_hw[0], 0 : lr_hw[1]]
    depth = (1.0 + 0.1 * xx + 0.05 * yy + 0.2 * rng.random(lr_hw)).astype(np.float32)
    depth[rng.random(lr_hw) < 0.2] = 0.0
    depth[0, -1] = np.nan
    depth[-1, 0] = np.inf
    depth[min(2, lr_hw[0] - 1), : max(1, lr_hw[1] // 3)] = 0.0  # a hole run
    depth[0, 0] = 12.0  # beyond max_depth
    if min(lr_hw) >= 10:
        depth[-6:, -6:] = 0.0  # a hole wider than the support radius: invalid output
    return rgb, depth


@pytest.fixture(scope="module")
def model() -> Any:
    from bridgenet_ros.model import create_model

    torch.manual_seed(0)
    return create_model("test").eval()


def _export(model: Any, path: Path, settings: GraphSettings, fp16: bool = False) -> Path:
    from bridgenet_ros.export.pipeline_export import export_pipeline_onnx

    export_pipeline_onnx(model, path, settings, fp16=fp16, check=False)
    return path


@pytest.fixture(scope="module")
def graph(model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(model, tmp_path_factory.mktemp("graph") / "graph.onnx", SETTINGS)


def _pipelines(model: Any, path: Path, settings: GraphSettings) -> tuple[Any, GraphPipeline]:
    from bridgenet_ros.export.pipeline_export import ModelBackend
    from bridgenet_ros.runtime.backends.graph_runner import OrtGraphRunner
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    numpy_pipe = DepthSRPipeline(ModelBackend(model), settings.runtime_config())
    return numpy_pipe, GraphPipeline(OrtGraphRunner(path))


def test_graph_io_ops_and_metadata(graph: Path) -> None:
    proto = onnx.load(str(graph))
    ops = {node.op_type for node in proto.graph.node}
    assert ops <= GRAPH_OPS, ops - GRAPH_OPS
    assert not {"IsNaN", "IsInf", "Clip", "Pow", "If", "Loop"} & ops
    inputs = {i.name: i.type.tensor_type for i in proto.graph.input}
    assert inputs["rgb"].elem_type == onnx.TensorProto.UINT8
    assert inputs["depth_lr"].elem_type == onnx.TensorProto.FLOAT
    assert all(d.dim_param for d in inputs["depth_lr"].shape.dim)  # any LR size
    assert [d.dim_param != "" for d in inputs["rgb"].shape.dim] == [True, True, False]
    names = [o.name for o in proto.graph.output]
    assert names == ["depth", "depth_mde", "depth_lr_up", "depth_range", "lr_dropped"]
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["bridgenet.graph"] == "pipeline" and props["bridgenet.variant"] == "test"
    assert '"max_depth": 10.0' in props["bridgenet.pipeline_settings"]


@pytest.mark.parametrize(
    ("hw", "lr_hw"),
    [((40, 56), (10, 14)), ((97, 131), (13, 17)), ((48, 64), (3, 4)), ((24, 24), (24, 24))],
)
def test_graph_equals_numpy_pipeline(
    model: Any, graph: Path, hw: tuple[int, int], lr_hw: tuple[int, int]
) -> None:
    numpy_pipe, graph_pipe = _pipelines(model, graph, SETTINGS)
    rgb, depth = _frame(hw, lr_hw)
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    assert got.depth_sr.shape == hw and got.depth_sr.dtype == np.float32
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    assert ref.mask_valid.any() and (min(lr_hw) < 10 or not ref.mask_valid.all())
    for a, b in [
        (got.depth_sr, ref.depth_sr),
        (got.depth_mde, ref.depth_mde),
        (got.depth_lr_up, ref.depth_lr_up),
    ]:
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5, equal_nan=True)
    assert got.lr_dropped == ref.lr_dropped and got.depth_range is not None
    assert ref.depth_range is not None
    assert abs(got.depth_range.lo - ref.depth_range.lo) < 1e-6
    assert abs(got.depth_range.hi - ref.depth_range.hi) < 1e-6


def test_outliers_limits_and_no_radius(model: Any, tmp_path: Path) -> None:
    settings = GraphSettings(min_depth=None, max_depth=None, support_radius_px=None)
    numpy_pipe, graph_pipe = _pipelines(
        model, _export(model, tmp_path / "g.onnx", settings), settings
    )
    rgb, depth = _frame((64, 80), (16, 20), seed=3)
    depth[8, 10] = 400.0  # isolated far return: outlier
    depth[9:12, 3:6] = 0.0  # hole wider than the first sigma
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    assert ref.lr_dropped is not None and ref.lr_dropped["outlier"] == 2  # 400 m and 12 m
    assert got.lr_dropped == ref.lr_dropped
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    np.testing.assert_allclose(got.depth_sr, ref.depth_sr, atol=2e-5, equal_nan=True)


def test_all_invalid_and_sparse_frames(model: Any, graph: Path) -> None:
    numpy_pipe, graph_pipe = _pipelines(model, graph, SETTINGS)
    rgb, depth = _frame((32, 40), (8, 10))
    depth[:] = np.nan
    got = graph_pipe.run(rgb, depth)
    assert np.isnan(got.depth_sr).all() and not got.mask_valid.any()
    assert got.depth_range is None and got.lr_dropped == {
        "invalid": 80,
        "out_of_range": 0,
        "outlier": 0,
    }
    depth[:] = 0.0
    depth[4, 5] = 2.0  # one valid pixel: the fill falls back to the largest sigma / the mean
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    np.testing.assert_allclose(got.depth_sr, ref.depth_sr, atol=2e-5, equal_nan=True)


def test_graph_pipeline_refuses_other_settings(graph: Path) -> None:
    from bridgenet_ros.runtime.backends.graph_runner import OrtGraphRunner

    runner = OrtGraphRunner(graph)
    assert (
        GraphPipeline(runner, RuntimeConfig(min_depth=0.1, max_depth=10.0)).config.max_depth == 10
    )
    with pytest.raises(ConfigError, match="baked into"):
        GraphPipeline(runner, RuntimeConfig(min_depth=0.2, max_depth=10.0))
    with pytest.raises(ConfigError, match="RGB grid"):
        GraphPipeline(runner, RuntimeConfig(model_height=32, model_width=32))
    with pytest.raises(ConfigError, match="RGB grid"):
        GraphPipeline(runner, RuntimeConfig(output_resolution="model"))
    pipe = GraphPipeline(runner)  # the node's reconfigure assigns pipeline.config
    pipe.config = RuntimeConfig(min_depth=0.1, max_depth=10.0, aspect_tolerance=0.1)
    assert pipe.config.aspect_tolerance == 0.1  # host-side settings may change
    with pytest.raises(ConfigError, match="baked into"):
        pipe.config = RuntimeConfig(min_depth=0.1, max_depth=5.0)
    assert pipe.config.max_depth == 10.0


def test_factories_dispatch_on_the_file(graph: Path, model: Any, tmp_path: Path) -> None:
    from bridgenet_ros.export.onnx_export import export_onnx
    from bridgenet_ros.runtime.backends.factory import create_backend
    from bridgenet_ros.runtime.backends.graph_runner import build_runtime_pipeline
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    with pytest.raises(BackendError, match="deployment graph"):
        create_backend("onnxruntime", graph)
    pipe = build_runtime_pipeline("auto", graph, RuntimeConfig(min_depth=0.1, max_depth=10.0))
    assert isinstance(pipe, GraphPipeline) and pipe.backend.name == "onnxruntime-graph"
    with pytest.raises(ConfigError, match="cannot run a deployment graph"):
        build_runtime_pipeline("torch", graph)
    with pytest.raises(ConfigError, match="does not take"):
        build_runtime_pipeline("onnxruntime", graph, fp16=True)
    plain = export_onnx(model, tmp_path / "plain.onnx", check=False).path
    assert isinstance(build_runtime_pipeline("onnxruntime", plain), DepthSRPipeline)


def test_fp16_network_inside_fp32_pipeline(model: Any, graph: Path, tmp_path: Path) -> None:
    path = _export(model, tmp_path / "g16.onnx", SETTINGS, fp16=True)
    proto = onnx.load(str(path))
    conv_weights = {n.input[1] for n in proto.graph.node if n.op_type == "Conv"}
    kinds = {i.data_type for i in proto.graph.initializer if i.name in conv_weights}
    assert kinds == {onnx.TensorProto.FLOAT16}
    assert {i.type.tensor_type.elem_type for i in proto.graph.output} == {onnx.TensorProto.FLOAT}
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["bridgenet.precision"] == "fp16"
    _, g32 = _pipelines(model, graph, SETTINGS)
    _, g16 = _pipelines(model, path, SETTINGS)
    rgb, depth = _frame((48, 64), (12, 16))
    a, b = g32.run(rgb, depth), g16.run(rgb, depth)
    np.testing.assert_array_equal(a.mask_valid, b.mask_valid)
    assert a.depth_range is not None
    diff = np.nanmax(np.abs(a.depth_sr - b.depth_sr)) / a.depth_range.span
    assert 0 < diff < 2e-2  # float16 differs a little, never wildly
    np.testing.assert_allclose(a.depth_lr_up, b.depth_lr_up, atol=1e-6, equal_nan=True)


def test_cli_export_pipeline(test_checkpoint: Path, tmp_path: Path, capsys: Any) -> None:
    from bridgenet_ros.cli.main import main

    out = tmp_path / "cli_graph.onnx"
    argv = ["export", "--model", str(test_checkpoint), "--out", str(out), "--pipeline"]
    assert main([*argv, "--max-depth", "8", "--support-radius", "-1"]) == 0
    printed = capsys.readouterr().out
    assert "deployment graph" in printed and "of the LR depth range" in printed
    from bridgenet_ros.runtime.backends.graph_runner import OrtGraphRunner

    assert OrtGraphRunner(out).settings == GraphSettings(max_depth=8.0, support_radius_px=None)
    assert main([*argv, "--height", "64", "--width", "64"]) == 2


@pytest.mark.parametrize(
    ("lr_hw", "hw"), [((10, 14), (40, 56)), ((13, 17), (97, 131)), ((3, 4), (48, 64))]
)
def test_onnx_cubic_resize_equals_pil_bicubic_upsampling(
    lr_hw: tuple[int, int], hw: tuple[int, int]
) -> None:
    """ONNX ``Resize`` cubic a=-0.5, half_pixel, exclude_outside=1 == PIL bicubic (up-sampling).

    The graph uses its own PIL weight matrices (TensorRT's parser support for cubic Resize is
    version-dependent); this pins down that both formulations agree, for the docs' claim.
    """
    from onnx import TensorProto, helper

    from bridgenet_ros.runtime.resize import resize

    node = helper.make_node(
        "Resize",
        ["x", "", "", "sizes"],
        ["y"],
        mode="cubic",
        cubic_coeff_a=-0.5,
        coordinate_transformation_mode="half_pixel",
        exclude_outside=1,
    )
    graph = helper.make_graph(
        [node],
        "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, *lr_hw])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("sizes", TensorProto.INT64, [4], [1, 1, *hw])],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    image = np.random.default_rng(0).random(lr_hw).astype(np.float32) * 5
    got = session.run(None, {"x": image[None, None]})[0][0, 0]
    np.testing.assert_allclose(got, resize(image, hw, "bicubic"), rtol=0, atol=1e-5)


def test_dsr_only_graph_has_no_mde_output(tmp_path: Path) -> None:
    from bridgenet_ros.model import create_model

    torch.manual_seed(1)
    model = create_model("dsr_only").eval()
    assert not model.has_mde
    path = _export(model, tmp_path / "dsr.onnx", SETTINGS)
    assert [o.name for o in onnx.load(str(path)).graph.output] == [
        "depth",
        "depth_lr_up",
        "depth_range",
        "lr_dropped",
    ]
    numpy_pipe, graph_pipe = _pipelines(model, path, SETTINGS)
    rgb, depth = _frame((32, 48), (8, 12))
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    assert got.depth_mde is None and ref.depth_mde is None
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    np.testing.assert_allclose(got.depth_sr, ref.depth_sr, atol=2e-5, equal_nan=True)


def test_graph_pipeline_aligns_like_the_numpy_pipeline(model: Any, graph: Path) -> None:
    """``align_mode: auto`` runs on the host before the graph: same shift, same outputs."""
    import dataclasses

    from bridgenet_ros.export.pipeline_export import ModelBackend
    from bridgenet_ros.runtime.backends.graph_runner import OrtGraphRunner
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline
    from bridgenet_ros.runtime.resize import resize

    depth = np.full((96, 128), 3.0, dtype=np.float32)
    rgb = np.full((96, 128, 3), 110, dtype=np.uint8)
    depth[30:70, 40:90], rgb[30:70, 40:90] = 1.5, 220
    lr = resize(np.roll(depth, (6, -4), axis=(0, 1)), (24, 32), "bicubic").astype(np.float32)
    config = dataclasses.replace(SETTINGS.runtime_config(), align_mode="auto")
    numpy_pipe = DepthSRPipeline(ModelBackend(model), config)
    graph_pipe = GraphPipeline(OrtGraphRunner(graph), config)
    ref, got = numpy_pipe.run(rgb, lr), graph_pipe.run(rgb, lr)
    assert got.align_offset_px == ref.align_offset_px
    assert got.align_offset_px == pytest.approx((6.0, -4.0), abs=1.5)
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    np.testing.assert_allclose(got.depth_lr_up, ref.depth_lr_up, rtol=0, atol=2e-5, equal_nan=True)


def test_flat_guard_in_the_graph_equals_numpy(model: Any, tmp_path: Path) -> None:
    """``flat_guard``: same blend in the graph (allowed ops); planes keep the bicubic map."""
    settings = GraphSettings(min_depth=0.1, max_depth=10.0, flat_guard=True)
    path = _export(model, tmp_path / "guard.onnx", settings)
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert ops <= GRAPH_OPS, ops - GRAPH_OPS
    numpy_pipe, graph_pipe = _pipelines(model, path, settings)
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:16, 0:24]
    depth = (2.0 + 0.03 * xx + 0.02 * yy + 1.5 * (xx >= 12)).astype(np.float32)  # two planes
    depth[3:5, 18:20] = 0.0  # a hole in the right plane
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    np.testing.assert_array_equal(got.mask_valid, ref.mask_valid)
    np.testing.assert_allclose(got.depth_sr, ref.depth_sr, rtol=0, atol=2e-5, equal_nan=True)
    plain = _pipelines(model, _export(model, tmp_path / "plain.onnx", SETTINGS), SETTINGS)[0]
    unguarded = plain.run(rgb, depth).depth_sr
    far_left = (slice(8, 56), slice(4, 28))  # > 2 LR pixels from the step and the hole
    np.testing.assert_allclose(ref.depth_sr[far_left], ref.depth_lr_up[far_left], atol=1e-5)
    assert np.abs(unguarded[far_left] - ref.depth_lr_up[far_left]).max() > 1e-3
    step = (slice(8, 56), slice(46, 50))  # at the step the network's depth stays
    np.testing.assert_allclose(ref.depth_sr[step], unguarded[step], atol=1e-5)


@pytest.mark.parametrize("lr_hw", [(1, 6), (2, 2), (5, 1)])
def test_flat_guard_graph_on_tiny_lr_maps(model: Any, tmp_path: Path, lr_hw: tuple) -> None:
    """One-row or one-column LR maps: the graph's border extension matches numpy's."""
    settings = GraphSettings(flat_guard=True)
    numpy_pipe, graph_pipe = _pipelines(
        model, _export(model, tmp_path / "g.onnx", settings), settings
    )
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (16 * lr_hw[0], 16 * lr_hw[1], 3), dtype=np.uint8)
    depth = (2.0 + 0.1 * rng.random(lr_hw)).astype(np.float32)
    ref, got = numpy_pipe.run(rgb, depth), graph_pipe.run(rgb, depth)
    np.testing.assert_allclose(got.depth_sr, ref.depth_sr, rtol=0, atol=2e-5, equal_nan=True)
