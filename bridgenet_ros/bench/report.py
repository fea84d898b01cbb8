# SPDX-License-Identifier: Apache-2.0
"""The bench report: ``report.json`` (machine-readable), ``report.md`` and the pictures.

Schema of ``report.json`` (times in ms, errors in metres, ``null`` where not measured)::

    {"frames": n, "backend": "onnxruntime", "backend_reason": "...", "model": "path",
     "bag": "path", "mode": "offline",
     "latency_ms": {"mean", "p50", "p90", "p99", "max", "min",
                    "stages": {"decode", "preprocess", "inference", "postprocess", "encode"},
                    "stages_detail": {stage: {"mean", "p50", "p90", "p99", "max", "min"}}},
     "throughput_fps": x, "inference_bound_fps": 1000 / mean inference,
     "throughput_ratio": throughput / inference bound,
     "pipeline_bound_fps": 1000 / mean(preprocess + inference + postprocess),
     "machinery_ratio": throughput / pipeline bound (what the replay machinery costs),
     "pairs": {"made", "dropped", "rgb_messages", "depth_messages"},
     "skipped": {reason: count}, "warnings": {reason: count}, "peak_memory_mb": x,
     "accuracy": {"rmse_m", "mae_m", "bicubic_rmse_m", "bicubic_mae_m", "frames",
                  "reference"} | null,
     "downsample": S | null,
     "regions": {region: {"fraction", "methods": {"bridgenet" | "bicubic": {"rmse", "mae",
                 "mad", "delta1", "absrel", "n_images"}},
                 "ratio_to_bicubic": {method: {"rmse", "mae"}}}} | null,
     "per_frame": [{"index", "stamp_ns", "latency_ms", stage..., "rmse_m", ...}],
     "runtime_config": {...}, "files": {name: path}}

``stages`` holds each stage's mean; ``latency_ms`` is the sum of the five stages per frame.
Accuracy figures are means over frames of the per-frame RMSE / MAE (the literature's
convention), over pixels valid in both the prediction and the ground truth.

With ``bench --downsample S`` (a real recording) the reference is the recording's own depth and
the LR input its hole-aware self-down-sampling; ``accuracy`` then holds the ``overall`` scores
and ``regions`` the ``overall`` / ``flat`` / ``edge`` table of ``bridgenet eval --real-sensor``
(:func:`bridgenet_ros.eval.real_sensor.RegionScores.summary`, ratios to bicubic).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bridgenet_ros.bench.replay import STAGES, ReplayResult
from bridgenet_ros.bench.stats import latency_summary

__all__ = ["build_report", "json_safe", "render_markdown", "write_report"]


def json_safe(value: Any) -> Any:
    """Recursively convert numpy scalars and non-finite floats (to ``None``) for JSON."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _mean(values: list[float | None]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def build_report(
    result: ReplayResult,
    *,
    backend: str,
    model: str,
    backend_reason: str = "",
    runtime_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Summarize a replay into the ``report.json`` dictionary (see the module docstring).

    Args:
        result: what :func:`bridgenet_ros.bench.replay.replay_bag` measured.
        backend: the backend's name (the one actually used, after ``auto``).
        model: the model file.
        backend_reason: why ``auto`` chose it (empty when given explicitly).
        runtime_config: the resolved runtime configuration.
    """
    frames = result.frames
    latency = latency_summary([f.latency_ms for f in frames])
    detail = {s: latency_summary([f.stages_ms[s] for f in frames]) for s in STAGES}
    n = len(frames)
    throughput = n / result.replay_s if result.replay_s > 0 else math.nan
    inf_mean = detail["inference"]["mean"]
    bound = 1000.0 / inf_mean if inf_mean > 0 else math.nan
    pipe_mean = sum(detail[s]["mean"] for s in ("preprocess", "inference", "postprocess"))
    pipe_bound = 1000.0 / pipe_mean if pipe_mean > 0 else math.nan
    accuracy: dict[str, Any] | None = None
    scored = [f for f in frames if f.rmse is not None]
    if scored:
        accuracy = {
            "rmse_m": _mean([f.rmse for f in scored]),
            "mae_m": _mean([f.mae for f in scored]),
            "bicubic_rmse_m": _mean([f.bicubic_rmse for f in scored]),
            "bicubic_mae_m": _mean([f.bicubic_mae for f in scored]),
            "frames": len(scored),
            "reference": result.reference,
        }
    report: dict[str, Any] = {
        "mode": "offline",
        "bag": str(result.bag),
        "frames": n,
        "backend": backend,
        "backend_reason": backend_reason,
        "model": model,
        "latency_ms": {
            **latency,
            "stages": {s: detail[s]["mean"] for s in STAGES},
            "stages_detail": detail,
        },
        "throughput_fps": throughput,
        "inference_bound_fps": bound,
        "throughput_ratio": throughput / bound if bound > 0 else math.nan,
        "pipeline_bound_fps": pipe_bound,
        "machinery_ratio": throughput / pipe_bound if pipe_bound > 0 else math.nan,
        "replay_s": result.replay_s,
        "instrumentation_s": result.instrumentation_s,
        "bag_duration_s": result.bag_duration_s,
        "pairs": {
            "made": result.pairs_made,
            "dropped": result.pairs_dropped,
            "processed": n,
            "rgb_messages": result.rgb_messages,
            "depth_messages": result.depth_messages,
            "gt_messages": result.gt_messages,
        },
        "skipped": dict(result.skipped),
        "warnings": dict(result.warnings),
        "peak_memory_mb": result.peak_rss_mb,
        "accuracy": accuracy,
        "downsample": result.downsample,
        "regions": result.regions,
        "per_frame": [
            {
                "index": f.index,
                "stamp_ns": f.stamp_ns,
                "t_s": f.t_s,
                "latency_ms": f.latency_ms,
                **{f"{s}_ms": f.stages_ms[s] for s in STAGES},
                "rmse_m": f.rmse,
                "mae_m": f.mae,
                "bicubic_rmse_m": f.bicubic_rmse,
                "bicubic_mae_m": f.bicubic_mae,
            }
            for f in frames
        ],
        "runtime_config": dict(runtime_config or {}),
        "out_bag": str(result.out_bag) if result.out_bag is not None else None,
        "files": {},
    }
    return json_safe(report)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_markdown(report: Mapping[str, Any]) -> str:
    """A human-readable ``report.md`` of a report dictionary."""
    lat = report["latency_ms"]
    pairs = report["pairs"]
    lines = [
        "# BridgeNet rosbag replay",
        "",
        f"- bag: `{report['bag']}`",
        f"- model: `{report['model']}`; backend: **{report['backend']}**"
        + (f" ({report['backend_reason']})" if report.get("backend_reason") else ""),
        f"- frames processed: {report['frames']}; pairs made {pairs['made']}, dropped "
        f"{pairs['dropped']} of {pairs['rgb_messages']} RGB messages",
        f"- throughput: **{_fmt(report['throughput_fps'])} frames/s** "
        f"(inference bound {_fmt(report['inference_bound_fps'])} frames/s, ratio "
        f"{_fmt(report['throughput_ratio'], 3)}; pipeline bound "
        f"{_fmt(report['pipeline_bound_fps'])} frames/s, ratio "
        f"{_fmt(report['machinery_ratio'], 3)})",
        f"- peak memory (RSS): {_fmt(report['peak_memory_mb'], 0)} MiB",
    ]
    if report.get("skipped"):
        lines.append(f"- skipped: {report['skipped']}")
    if report.get("warnings"):
        lines.append(f"- warnings (counted, frames still processed): {report['warnings']}")
    lines += [
        "",
        "## Latency (ms)",
        "",
        "| stage | mean | p50 | p90 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for stage, d in lat["stages_detail"].items():
        lines.append(
            f"| {stage} | {_fmt(d['mean'])} | {_fmt(d['p50'])} | {_fmt(d['p90'])} | "
            f"{_fmt(d['p99'])} | {_fmt(d['max'])} |"
        )
    lines.append(
        f"| **total** | {_fmt(lat['mean'])} | {_fmt(lat['p50'])} | {_fmt(lat['p90'])} | "
        f"{_fmt(lat['p99'])} | {_fmt(lat['max'])} |"
    )
    lines += _accuracy_markdown(report)
    files = report.get("files") or {}
    pictures = [(k, v) for k, v in files.items() if str(v).endswith(".png")]
    if pictures:
        lines += ["", "## Pictures", ""]
        lines += [f"![{k}]({Path(str(v)).name})" for k, v in pictures]
    return "\n".join(lines) + "\n"


def _accuracy_markdown(report: Mapping[str, Any]) -> list[str]:
    """The accuracy section: the overall table and, with ``--downsample``, the region table."""
    from bridgenet_ros.eval.evaluate import format_region_table

    acc = report.get("accuracy")
    title = "the ground-truth topic"
    if report.get("downsample") is not None:
        title = f"the recording's own depth (LR: self-down-sampled x{report['downsample']:g})"
    lines = ["", f"## Accuracy against {title}", ""]
    if not acc:
        lines.append(
            "No frame could be scored (see skipped)."
            if report.get("downsample") is not None
            else "No ground-truth topic in the bag: accuracy not measured."
        )
        return lines
    lines += [
        f"Mean over {acc['frames']} frames of the per-frame error (metres).",
        "",
        "| method | RMSE (m) | MAE (m) |",
        "|---|---:|---:|",
        f"| BridgeNet | {_fmt(acc['rmse_m'], 4)} | {_fmt(acc['mae_m'], 4)} |",
        f"| bicubic | {_fmt(acc['bicubic_rmse_m'], 4)} | {_fmt(acc['bicubic_mae_m'], 4)} |",
    ]
    if report.get("regions"):
        lines += ["", "```", format_region_table(report["regions"], "m"), "```"]
    return lines


def write_report(
    report_dir: str | Path,
    report: dict[str, Any],
    result: ReplayResult | None = None,
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and (given ``result``) the plots and contact sheet.

    Args:
        report_dir: output folder (created).
        report: from :func:`build_report`; its ``files`` entry is filled in.
        result: the replay, for the pictures.

    Returns:
        Name -> path of every file written.
    """
    from bridgenet_ros.bench import plots

    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if result is not None:
        files["latency_histogram"] = plots.latency_histogram(result, out / "latency_hist.png")
        files["latency_timeline"] = plots.latency_timeline(result, out / "latency_timeline.png")
        if any(f.rmse is not None for f in result.frames):
            files["error_per_frame"] = plots.error_per_frame(result, out / "error_per_frame.png")
        if result.samples:
            files["contact_sheet"] = plots.contact_sheet(result.samples, out / "contact_sheet.png")
    files["report_md"] = out / "report.md"
    files["report_json"] = out / "report.json"
    report["files"] = {k: str(v) for k, v in files.items()}
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "report.json").write_text(
        json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return files
