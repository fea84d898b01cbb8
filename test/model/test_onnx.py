# SPDX-License-Identifier: Apache-2.0
"""ONNX export (opset 17) with onnxruntime parity, and the ops TensorRT must parse."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from bridgenet_ros.model import create_model
from bridgenet_ros.model.bridgenet import BridgeNet

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
onnx = pytest.importorskip("onnx", reason="onnx is not installed")

# Operators TensorRT's ONNX parser supports that this network may use.
TRT_FRIENDLY = {
    "Add",
    "AveragePool",
    "Concat",
    "Constant",
    "Conv",
    "DepthToSpace",
    "Div",
    "MaxPool",
    "Mul",
    "LeakyRelu",
    "ReduceMax",
    "ReduceMean",
    "Relu",
    "Resize",
    "Sigmoid",
    "Softmax",
    "Sub",
}
# torch >= 2.11's dynamo exporter needs onnxscript's torch_2_11 API (onnxscript >= 0.7).
HAS_DYNAMO_ONNXSCRIPT = importlib.util.find_spec("onnxscript") is not None and (
    importlib.util.find_spec("onnxscript._framework_apis.torch_2_11") is not None
)


def _export_and_compare(
    model: BridgeNet, path: Path, *, dynamo: bool, height: int, width: int
) -> set[str]:
    torch.manual_seed(0)
    rgb = torch.rand(1, 3, height, width)
    depth = torch.rand(1, 1, height, width)
    names = ["depth_sr_norm", "depth_mde_norm"][: 2 if model.has_mde else 1]
    torch.onnx.export(
        model,
        (rgb, depth),
        str(path),
        opset_version=17,
        dynamo=dynamo,
        input_names=["rgb", "depth_lr_up_norm"],
        output_names=names,
    )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"rgb": rgb.numpy(), "depth_lr_up_norm": depth.numpy()}
    feeds = {k: v for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}}
    got = session.run(names, feeds)
    with torch.no_grad():
        expected = model(rgb, depth)
    assert len(got) == len(expected)
    for out, ref in zip(got, expected):
        assert out.shape == (1, 1, height, width)
        np.testing.assert_allclose(out, ref.numpy(), rtol=0, atol=1e-4)
    return {node.op_type for node in proto.graph.node}


def test_lite_legacy_export_parity(tmp_path: Path) -> None:
    model = create_model("lite").eval()
    ops = _export_and_compare(model, tmp_path / "lite.onnx", dynamo=False, height=64, width=96)
    assert ops <= TRT_FRIENDLY, ops - TRT_FRIENDLY
    proto = onnx.load(str(tmp_path / "lite.onnx"))
    assert {o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")} == {17}


def test_refine_head_and_deadband_export_parity(tmp_path: Path) -> None:
    model = create_model("test", dsr_refine_channels=4, residual_deadband=0.003).eval()
    torch.nn.init.normal_(model.dsr.refine[4].weight, std=0.1)
    ops = _export_and_compare(model, tmp_path / "hr.onnx", dynamo=False, height=32, width=48)
    assert ops <= TRT_FRIENDLY, ops - TRT_FRIENDLY
    assert "Clip" not in ops


def test_dsr_only_legacy_export_parity(tmp_path: Path) -> None:
    model = create_model("dsr_only").eval()
    ops = _export_and_compare(model, tmp_path / "dsr.onnx", dynamo=False, height=32, width=48)
    assert ops <= TRT_FRIENDLY, ops - TRT_FRIENDLY


@pytest.mark.slow
@pytest.mark.skipif(
    not HAS_DYNAMO_ONNXSCRIPT,
    reason="the pinned onnxscript lacks the torch 2.11+ API the dynamo exporter needs "
    "(onnxscript._framework_apis.torch_2_11, onnxscript >= 0.7); see docs/architecture.md",
)
def test_dynamo_export_parity(tmp_path: Path) -> None:
    # The `test` variant has every op of `lite`; lite itself takes ~30 s to export this way.
    model = create_model("test").eval()
    ops = _export_and_compare(model, tmp_path / "t.onnx", dynamo=True, height=32, width=48)
    assert ops <= TRT_FRIENDLY, ops - TRT_FRIENDLY
