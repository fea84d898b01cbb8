# SPDX-License-Identifier: Apache-2.0
"""``export_pipeline_onnx``: write the deployment graph and check it against the numpy pipeline.

The graph (:class:`~bridgenet_ros.export.pipeline_graph.PipelineGraph`) is exported with the
same TorchScript-based exporter settings as :func:`~bridgenet_ros.export.onnx_export.export_onnx`
(opset 17, ``dynamo=False``, constant folding); RGB and LR sizes are dynamic. The metadata holds
:class:`~bridgenet_ros.runtime.backends.base.ModelMeta` plus ``bridgenet.graph = pipeline`` and
the baked :class:`~bridgenet_ros.runtime.graph_pipeline.GraphSettings`.

Check: ``onnx.checker`` and, on a generated frame with holes and an outlier, onnxruntime's
output against :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline` running the same torch
model: identical validity and at most :data:`PARITY_TOLERANCE` of the LR depth range (FP32;
:data:`FP16_PARITY_TOLERANCE` for the FP16 network).

FP16 (``fp16=True``): mixed precision -- the I/O, the LR mask, normalization, hole filling,
up-sampling, de-normalization and masks stay float32; the network body runs in float16 inside
Cast nodes (TensorRT 10/11 strongly typed networks take exactly these precisions).
"""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.config_io import to_mapping
from bridgenet_ros.errors import ExportError
from bridgenet_ros.export.onnx_export import OPSET, git_revision
from bridgenet_ros.runtime.backends.base import GRAPH_KEY, SETTINGS_KEY, ModelMeta
from bridgenet_ros.runtime.graph_pipeline import GRAPH_INPUTS, GRAPH_OUTPUTS, GraphSettings

__all__ = [
    "FP16_PARITY_TOLERANCE",
    "PARITY_TOLERANCE",
    "ModelBackend",
    "PipelineExportReport",
    "check_frame",
    "export_pipeline_onnx",
]

LOGGER = logging.getLogger(__name__)

#: largest accepted |graph - numpy pipeline| on the check frame, as a fraction of the LR depth
#: range (FP32; 1e-4 of a few metres is well under the 1 mm parity goal).
PARITY_TOLERANCE = 1e-4
#: the same for the FP16 network (onnx_export.FP16_TOLERANCE: float16's 11-bit mantissa).
FP16_PARITY_TOLERANCE = 2e-2


@dataclass(frozen=True)
class PipelineExportReport:
    """Result of :func:`export_pipeline_onnx`.

    Attributes:
        path: the written ONNX file.
        meta: its model metadata.
        settings: the baked runtime settings.
        max_rel_diff: largest |graph - numpy pipeline| on the check frame, as a fraction of
            the LR depth range (NaN if unchecked).
        ops: the ONNX operator types in the graph.
    """

    path: Path
    meta: ModelMeta
    settings: GraphSettings
    max_rel_diff: float
    ops: frozenset[str]


class ModelBackend:
    """An in-memory torch model as a :class:`~bridgenet_ros.runtime.backends.base.Backend`."""

    def __init__(self, model: Any) -> None:
        self.model = model.eval()
        self.name = "torch-memory"
        self.stride = int(model.stride)
        self.has_mde = bool(model.has_mde)
        self.input_hw: tuple[int, int] | None = None

    def infer(self, rgb: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the model in float32 on the CPU."""
        import torch

        with torch.inference_mode():
            outs = self.model(torch.from_numpy(rgb), torch.from_numpy(depth))
        mde = outs[1].numpy() if self.has_mde else None
        return outs[0].numpy(), mde

    def close(self) -> None:
        """Nothing to release."""


def check_frame(hw: tuple[int, int] = (60, 84), scale: int = 4, seed: int = 0) -> tuple[Any, ...]:
    """A generated ``(rgb, depth_lr)`` pair: smooth depth, holes, one far outlier."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (*hw, 3), dtype=np.uint8)
    h, w = hw[0] // scale, hw[1] // scale
    yy, xx = np.mgrid[0:h, 0:w]
    depth = (1.0 + 0.05 * xx + 0.03 * yy + 0.1 * rng.random((h, w))).astype(np.float32)
    depth[rng.random((h, w)) < 0.15] = 0.0
    depth[1, 1] = np.nan
    depth[h // 2, w // 2] = 400.0  # isolated, far outside the scene: an outlier
    return rgb, depth


def _export(graph: Any, out: Path, has_mde: bool, opset: int) -> None:
    import torch

    rgb, depth = check_frame()
    names = [n for n in GRAPH_OUTPUTS if n != "depth_mde" or has_mde]
    axes = {"rgb": {0: "height", 1: "width"}, "depth_lr": {0: "lr_height", 1: "lr_width"}}
    axes.update({n: {0: "height", 1: "width"} for n in names[: 3 if has_mde else 2]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter; parity is checked afterwards
            torch.onnx.export(
                graph,
                (torch.from_numpy(rgb), torch.from_numpy(depth)),
                str(out),
                input_names=list(GRAPH_INPUTS),
                output_names=names,
                opset_version=opset,
                dynamo=False,
                dynamic_axes=axes,
                do_constant_folding=True,
            )
    except Exception as err:
        raise ExportError(f"torch.onnx.export of the deployment graph failed: {err}") from err


def graph_parity(model: Any, path: Path, settings: GraphSettings, exact_mask: bool) -> float:
    """Largest |graph - numpy pipeline| on :func:`check_frame` at x4 and x8, in LR-range units.

    Args:
        model: the torch model (runs in the numpy pipeline as the reference).
        path: the exported graph.
        settings: its baked settings.
        exact_mask: require identical validity (FP32); else at most 0.1 % of pixels may differ
            (FP16 outputs near a depth limit).

    Raises:
        ExportError: if onnxruntime cannot run the graph or the validity masks differ.
    """
    from bridgenet_ros.runtime.backends.graph_runner import OrtGraphRunner
    from bridgenet_ros.runtime.graph_pipeline import GraphPipeline
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    reference = DepthSRPipeline(ModelBackend(model), settings.runtime_config())
    try:
        graph = GraphPipeline(OrtGraphRunner(path))
    except Exception as err:
        raise ExportError(f"onnxruntime cannot load the deployment graph {path}: {err}") from err
    worst = 0.0
    for scale in (4, 8):
        rgb, depth = check_frame(scale=scale)
        ref, got = reference.run(rgb, depth), graph.run(rgb, depth)
        n_diff = int((ref.mask_valid != got.mask_valid).sum())
        if n_diff > (0 if exact_mask else 1e-3 * ref.mask_valid.size):
            raise ExportError(f"{path}: validity differs from the numpy pipeline on {n_diff} px")
        both = ref.mask_valid & got.mask_valid
        assert ref.depth_range is not None  # check_frame has valid pixels
        diff = np.abs(ref.depth_sr - got.depth_sr)[both] / ref.depth_range.span
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
    return worst


def export_pipeline_onnx(
    model: Any,
    out_path: str | Path,
    settings: GraphSettings | None = None,
    *,
    fp16: bool = False,
    opset: int = OPSET,
    check: bool = True,
) -> PipelineExportReport:
    """Export ``model`` inside the deployment graph and verify it.

    Args:
        model: a ``BridgeNet`` (``stride``, ``has_mde``, ``config``).
        out_path: the ``.onnx`` to write.
        settings: runtime settings to bake in (depth limits, fill, support radius).
        fp16: float16 network inside a float32 pipeline.
        opset: ONNX opset (>= 17).
        check: run ``onnx.checker`` and the parity check against the numpy pipeline.

    Raises:
        ExportError: on a failed export/checker or parity beyond tolerance.
    """
    import onnx

    from bridgenet_ros.export.pipeline_graph import PipelineGraph

    settings = settings or GraphSettings()
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    net = copy.deepcopy(model).eval()
    graph = PipelineGraph(net.half() if fp16 else net, settings, half=fp16).eval()
    _export(graph, out, bool(model.has_mde), opset)
    meta = ModelMeta(
        variant=str(to_mapping(model.config).get("variant", "unknown")),
        stride=int(model.stride),
        has_mde=bool(model.has_mde),
        input_hw=None,
        precision="fp16" if fp16 else "fp32",
        config=to_mapping(model.config),
        git_revision=git_revision(),
    )
    props = {**meta.to_metadata_props(), GRAPH_KEY: "pipeline", SETTINGS_KEY: settings.to_json()}
    proto = onnx.load(str(out))
    onnx.helper.set_model_props(proto, props)
    onnx.save(proto, str(out))
    diff = float("nan")
    if check:
        try:
            onnx.checker.check_model(str(out), full_check=True)
        except onnx.checker.ValidationError as err:
            raise ExportError(f"onnx.checker rejected {out}: {err}") from err
        diff = graph_parity(model, out, settings, exact_mask=not fp16)
        tolerance = FP16_PARITY_TOLERANCE if fp16 else PARITY_TOLERANCE
        if not diff <= tolerance:
            raise ExportError(
                f"deployment graph {out} differs from the numpy pipeline by {diff:.3g} of the "
                f"LR depth range > {tolerance:g}; the graph is wrong (report it with the variant)"
            )
    ops = frozenset(node.op_type for node in proto.graph.node)
    LOGGER.info(
        "exported deployment graph %s (%s), max |graph - numpy| %.3g of the range",
        out,
        meta.precision,
        diff,
    )
    return PipelineExportReport(out, meta, settings, diff, ops)
