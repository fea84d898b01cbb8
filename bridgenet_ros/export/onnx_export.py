# SPDX-License-Identifier: Apache-2.0
"""ONNX export of BridgeNet with metadata, ``onnx.checker`` and an onnxruntime parity check.

Graph I/O (names from :mod:`bridgenet_ros.runtime.backends.base`): inputs ``rgb``
``(1, 3, H, W)`` float32 0..1 and ``depth_lr_up_norm`` ``(1, 1, H, W)`` float32; outputs
``depth_sr_norm`` and (models with MDE head) ``depth_mde_norm``, ``(1, 1, H, W)`` float32.
``H``/``W`` are fixed (``input_hw``) or dynamic (multiples of the stride).

FP16 (``fp16=True``): the model runs in half precision inside Cast nodes, so weights and compute
are float16 while the inputs and outputs stay float32 -- TensorRT 11 builds strongly typed
networks and takes the precision from the ONNX. Parity is then checked against the float32
torch model within :data:`FP16_TOLERANCE`.

The exporter uses torch's TorchScript-based exporter (``dynamo=False``): the torch.export-based
one needs an onnxscript matching the torch version, which the pinned pair does not have.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.config_io import to_mapping
from bridgenet_ros.errors import ExportError
from bridgenet_ros.runtime.backends.base import INPUT_NAMES, OUTPUT_NAMES, ModelMeta

__all__ = [
    "FP16_TOLERANCE",
    "FP32_TOLERANCE",
    "OPSET",
    "ExportReport",
    "export_onnx",
    "git_revision",
    "parity_check",
]

LOGGER = logging.getLogger(__name__)

OPSET = 17
#: largest accepted |onnxruntime - torch| on normalized depth for float32 graphs.
FP32_TOLERANCE = 1e-4
#: largest accepted |onnxruntime(fp16 graph) - torch(fp32)| on normalized depth (0..1 range):
#: float16 has an 11-bit mantissa (relative step 1e-3); 2e-2 leaves room for its accumulation.
FP16_TOLERANCE = 2e-2


@dataclass(frozen=True)
class ExportReport:
    """Result of :func:`export_onnx`.

    Attributes:
        path: the written ONNX file.
        meta: the metadata stored in the file.
        max_abs_diff: largest |onnxruntime - torch| over the outputs (normalized depth units).
        tolerance: the tolerance the difference was checked against.
        check_hw: the ``(H, W)`` the parity check ran at.
    """

    path: Path
    meta: ModelMeta
    max_abs_diff: float
    tolerance: float
    check_hw: tuple[int, int]


def git_revision(start: Path | None = None) -> str:
    """Short git revision of the source tree (``+dirty`` when modified), else ``unknown``."""
    cwd = start or Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}+dirty" if dirty else rev


def _wrap(model: Any, fp16: bool) -> Any:
    """A module returning a tuple of float32 outputs; half precision inside casts for FP16.

    A network without the MDE branch (``dsr_only``) never reads ``rgb``, and the exporter drops
    an unused input, which would break the two-input contract of every backend. Such a graph
    adds ``0 × rgb[0, 0, 0, 0]`` to its depth input: one element, exactly neutral for the finite
    RGB the pipeline feeds (0..1), and an op no exporter folds away (``rgb`` is an input).
    """
    import copy

    import torch

    class _Export(torch.nn.Module):
        def __init__(self, net: torch.nn.Module, half: bool) -> None:
            super().__init__()
            self.net = net
            self.use_half = half
            self.keep_rgb = not bool(getattr(net, "has_mde", True))

        def forward(self, rgb: torch.Tensor, depth: torch.Tensor) -> tuple[torch.Tensor, ...]:
            if self.keep_rgb:
                depth = depth + 0.0 * rgb[:, :1, :1, :1]
            if self.use_half:
                outputs = self.net(rgb.half(), depth.half())
                return tuple(o.float() for o in outputs)
            return tuple(self.net(rgb, depth))

    net = copy.deepcopy(model).eval()
    if fp16:
        net = net.half()
    return _Export(net, fp16).eval()


def parity_check(model: Any, onnx_path: Path, hw: tuple[int, int], seed: int = 0) -> float:
    """Largest |onnxruntime - torch fp32| over all outputs on random inputs of size ``hw``.

    Raises:
        ExportError: if onnxruntime is missing or cannot run the file.
    """
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise ExportError("the parity check needs onnxruntime: pip install onnxruntime") from err
    import torch

    rng = np.random.default_rng(seed)
    rgb = rng.random((1, 3, *hw), dtype=np.float32)
    depth = rng.random((1, 1, *hw), dtype=np.float32)
    with torch.inference_mode():
        ref = [
            o.float().numpy() for o in model.eval()(torch.from_numpy(rgb), torch.from_numpy(depth))
        ]
    try:
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        got = session.run(None, {INPUT_NAMES[0]: rgb, INPUT_NAMES[1]: depth})
    except Exception as err:
        raise ExportError(f"onnxruntime cannot run {onnx_path}: {err}") from err
    if len(got) != len(ref):
        raise ExportError(f"ONNX has {len(got)} outputs but the torch model {len(ref)}")
    return float(max(np.abs(g - r).max() for g, r in zip(got, ref)))


def export_onnx(
    model: Any,
    out_path: str | Path,
    *,
    input_hw: tuple[int, int] | None = None,
    fp16: bool = False,
    opset: int = OPSET,
    check: bool = True,
) -> ExportReport:
    """Export ``model`` to ONNX with bridgenet metadata and verify it.

    Args:
        model: a ``BridgeNet`` (``stride``, ``has_mde``, ``config`` attributes).
        out_path: the ``.onnx`` file to write.
        input_hw: fixed ``(H, W)`` (multiples of the stride); ``None`` exports dynamic H/W.
        fp16: write a float16 graph with float32 inputs/outputs.
        opset: ONNX opset (17 by default; TensorRT 8.5+ parses it).
        check: run ``onnx.checker`` and the onnxruntime parity check.

    Returns:
        An :class:`ExportReport` (``max_abs_diff`` is NaN when ``check`` is False).

    Raises:
        ExportError: on a bad size, a failed export/checker, or parity beyond tolerance.
    """
    import onnx
    import torch

    stride = int(model.stride)
    if input_hw is not None and (
        input_hw[0] % stride or input_hw[1] % stride or min(input_hw) <= 0
    ):
        raise ExportError(
            f"export size {input_hw[0]}x{input_hw[1]} must be positive multiples of the model "
            f"stride {stride} (e.g. {stride * -(-input_hw[0] // stride)}x"
            f"{stride * -(-input_hw[1] // stride)})"
        )
    trace_hw = input_hw or (stride * 2, stride * 3)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    output_names = list(OUTPUT_NAMES[: 2 if model.has_mde else 1])
    dynamic_axes = None
    if input_hw is None:
        dynamic_axes = {name: {2: "height", 3: "width"} for name in [*INPUT_NAMES, *output_names]}
    wrapper = _wrap(model, fp16)
    dummy = (torch.rand(1, 3, *trace_hw), torch.rand(1, 1, *trace_hw))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer/deprecation chatter; parity is checked below
            torch.onnx.export(
                wrapper,
                dummy,
                str(out),
                input_names=list(INPUT_NAMES),
                output_names=output_names,
                opset_version=opset,
                dynamo=False,
                dynamic_axes=dynamic_axes,
                do_constant_folding=True,
            )
    except Exception as err:
        raise ExportError(f"torch.onnx.export failed for {out}: {err}") from err
    config = to_mapping(model.config)
    meta = ModelMeta(
        variant=str(config.get("variant", "unknown")),
        stride=stride,
        has_mde=bool(model.has_mde),
        input_hw=None if input_hw is None else (int(input_hw[0]), int(input_hw[1])),
        precision="fp16" if fp16 else "fp32",
        config=config,
        git_revision=git_revision(),
    )
    proto = onnx.load(str(out))
    onnx.helper.set_model_props(proto, meta.to_metadata_props())
    onnx.save(proto, str(out))
    diff = float("nan")
    tolerance = FP16_TOLERANCE if fp16 else FP32_TOLERANCE
    if check:
        try:
            onnx.checker.check_model(str(out), full_check=True)
        except onnx.checker.ValidationError as err:
            raise ExportError(f"onnx.checker rejected {out}: {err}") from err
        check_hw = trace_hw if input_hw else (stride * 3, stride * 4)
        diff = parity_check(model, out, check_hw)
        if not diff <= tolerance:
            raise ExportError(
                f"onnxruntime output differs from torch by {diff:.3g} > tolerance {tolerance:g} "
                f"for {out}; the graph is wrong (report it with the model variant)"
            )
    LOGGER.info(
        "exported %s (%s, opset %d), max |ort - torch| = %.3g", out, meta.precision, opset, diff
    )
    return ExportReport(
        path=out,
        meta=meta,
        max_abs_diff=diff,
        tolerance=tolerance,
        check_hw=trace_hw if input_hw else (stride * 3, stride * 4),
    )
