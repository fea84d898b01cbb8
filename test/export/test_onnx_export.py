# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bridgenet_ros.cli.main import main
from bridgenet_ros.errors import ExportError
from bridgenet_ros.export.onnx_export import FP16_TOLERANCE, export_onnx, parity_check

REPO = Path(__file__).resolve().parents[2]


def test_cli_export_fixed_size_writes_checked_onnx_with_metadata(
    test_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import onnx

    out = tmp_path / "m.onnx"
    code = main(
        [
            "export",
            "--model",
            str(test_checkpoint),
            "--out",
            str(out),
            "--height",
            "32",
            "--width",
            "48",
        ]
    )
    assert code == 0
    assert "max abs diff" in capsys.readouterr().out
    proto = onnx.load(str(out))
    assert proto.opset_import[0].version == 17
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["bridgenet.input_height"] == "32" and props["bridgenet.input_width"] == "48"
    assert props["bridgenet.has_mde"] == "true" and props["bridgenet.precision"] == "fp32"
    assert props["bridgenet.git_revision"] != ""
    assert [i.name for i in proto.graph.input] == ["rgb", "depth_lr_up_norm"]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--dynamic", "--height", "32", "--width", "48"], 2, "not both"),
        (["--height", "32"], 2, "go together"),
        ([], 2, "--dynamic"),
        (["--height", "30", "--width", "48"], 1, "multiples of the model stride"),
    ],
)
def test_cli_export_errors(
    test_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: int,
    message: str,
) -> None:
    argv = ["export", "--model", str(test_checkpoint), "--out", str(tmp_path / "x.onnx")]
    assert main(argv + extra) == code
    assert message in capsys.readouterr().err


def test_cli_export_missing_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "export",
            "--model",
            str(tmp_path / "nope.pt"),
            "--out",
            str(tmp_path / "x.onnx"),
            "--dynamic",
        ]
    )
    assert code in (1, 2)
    assert "nope.pt" in capsys.readouterr().err


def test_fp16_graph_has_half_weights_float_io_and_stated_tolerance(
    test_checkpoint: Path, tmp_path: Path
) -> None:
    import onnx
    from onnx import TensorProto

    from bridgenet_ros.model import load_model

    model = load_model(test_checkpoint)
    report = export_onnx(model, tmp_path / "h.onnx", input_hw=(32, 48), fp16=True)
    assert report.meta.precision == "fp16" and report.tolerance == FP16_TOLERANCE
    proto = onnx.load(str(report.path))
    io_types = {v.type.tensor_type.elem_type for v in [*proto.graph.input, *proto.graph.output]}
    assert io_types == {TensorProto.FLOAT}
    weights = [t for t in proto.graph.initializer if len(t.dims) == 4]  # conv kernels
    assert weights and all(t.data_type == TensorProto.FLOAT16 for t in weights)
    assert 0.0 < report.max_abs_diff <= FP16_TOLERANCE  # half precision really changes numbers


def test_parity_check_detects_a_wrong_graph(test_checkpoint: Path, tmp_path: Path) -> None:
    import torch

    from bridgenet_ros.model import create_model, load_model

    model = load_model(test_checkpoint)
    report = export_onnx(model, tmp_path / "a.onnx", input_hw=(32, 32))
    torch.manual_seed(123)
    other = create_model("test").eval()
    assert parity_check(other, report.path, (32, 32)) > 1e-3


@pytest.mark.parametrize("fp16", [False, True])
def test_depth_only_network_keeps_the_rgb_input(tmp_path: Path, fp16: bool) -> None:
    """A dsr_only graph (no MDE branch, RGB unused) still takes both inputs, as backends feed."""
    import onnxruntime as ort
    import torch

    from bridgenet_ros.model import create_model
    from bridgenet_ros.runtime.backends.base import INPUT_NAMES

    torch.manual_seed(0)
    model = create_model(
        "test", use_mde=False, use_habdg=False, use_cgbdg=False, dsr_refine_channels=4
    ).eval()
    assert not model.has_mde
    report = export_onnx(model, tmp_path / "dsr.onnx", fp16=fp16)  # parity feeds both inputs
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    assert tuple(i.name for i in session.get_inputs()) == INPUT_NAMES
    depth = np.random.default_rng(1).random((1, 1, 32, 48), dtype=np.float32)
    outputs = [
        session.run(None, {INPUT_NAMES[0]: rgb, INPUT_NAMES[1]: depth})[0]
        for rgb in (np.zeros((1, 3, 32, 48), np.float32), np.ones((1, 3, 32, 48), np.float32))
    ]
    np.testing.assert_array_equal(outputs[0], outputs[1])  # the RGB changes nothing


def test_export_rejects_bad_size(test_checkpoint: Path, tmp_path: Path) -> None:
    from bridgenet_ros.model import load_model

    with pytest.raises(ExportError, match="stride"):
        export_onnx(load_model(test_checkpoint), tmp_path / "b.onnx", input_hw=(20, 32))


def test_shipped_onnx_matches_shipped_checkpoint() -> None:
    """Fails (not skips) when models/bridgenet_lite.pt ships without a matching .onnx."""
    pt = REPO / "models" / "bridgenet_lite.pt"
    onnx_path = pt.with_suffix(".onnx")
    if not pt.is_file():
        pytest.skip(f"{pt} is not shipped yet (no trained checkpoint in the repository)")
    assert onnx_path.is_file(), (
        f"{pt} ships without {onnx_path.name}: run `bridgenet export --model {pt} --out "
        f"{onnx_path} --dynamic`"
    )
    assert importlib.util.find_spec("onnxruntime") is not None
    from bridgenet_ros.model import load_model

    model = load_model(pt)
    import onnx

    props = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    size = (
        (64, 96)
        if props["bridgenet.input_height"] == "dynamic"
        else (int(props["bridgenet.input_height"]), int(props["bridgenet.input_width"]))
    )
    tol = FP16_TOLERANCE if props["bridgenet.precision"] == "fp16" else 1e-4
    diff = parity_check(model, onnx_path, size)
    assert np.isfinite(diff) and diff <= tol, f"{onnx_path} no longer matches {pt}: {diff}"
