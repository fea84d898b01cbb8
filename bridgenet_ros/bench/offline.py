# SPDX-License-Identifier: Apache-2.0
"""The offline bench end to end: build the node's pipeline, replay, write the report.

The pipeline is built from a :class:`bridgenet_ros.ros.params.NodeConfig` exactly as the node's
``build_pipeline`` does (same model resolution, backend factory, backend options and
``RuntimeConfig``), without importing rclpy, so offline results describe what the node runs.
Pairing uses the node's ``sync_queue_size`` and ``sync_slop``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bridgenet_ros.bench.replay import ReplayOptions, ReplayResult, replay_bag
from bridgenet_ros.bench.topics import BagTopics
from bridgenet_ros.errors import BridgenetError

__all__ = ["BenchRun", "build_node_pipeline", "run_offline_bench"]


@dataclass
class BenchRun:
    """What :func:`run_offline_bench` produced."""

    report: dict[str, Any]
    files: dict[str, Path]
    result: ReplayResult


def build_node_pipeline(config: Any) -> tuple[Any, Path, str]:
    """Build the pipeline the node would build for ``config`` (a ``NodeConfig``).

    Mirrors ``bridgenet_ros.ros.node.build_pipeline`` (which imports rclpy at module level).

    Returns:
        ``(pipeline, model_path, auto_reason)``; ``auto_reason`` is empty unless the backend
        was ``auto``.

    Raises:
        ConfigError: missing model file or a file the backend cannot run.
        BridgenetError: the backend cannot load the model.
    """
    from bridgenet_ros.ros.params import resolve_model_path
    from bridgenet_ros.runtime.backends.factory import choose_auto, create_backend
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    path = resolve_model_path(config)
    options: dict[str, Any] = {}
    wants_trt = config.backend == "tensorrt" or (
        config.backend == "auto" and importlib.util.find_spec("tensorrt") is not None
    )
    if wants_trt:
        options["fp16"] = config.precision == "fp16"
        if config.engine_cache_dir:
            options["cache_dir"] = str(Path(config.engine_cache_dir).expanduser())
        if config.force_engine_rebuild:
            options["force_rebuild"] = True
    reason = choose_auto(path).reason if config.backend == "auto" else ""
    backend = create_backend(config.backend, path, **options)
    runtime = RuntimeConfig(
        model_height=config.model_height or None,
        model_width=config.model_width or None,
        output_resolution=config.output_resolution,
        min_depth=config.min_depth,
        max_depth=config.max_depth,
    )
    try:
        pipeline = DepthSRPipeline(backend, runtime)
    except BridgenetError:
        backend.close()
        raise
    return pipeline, path, reason


def run_offline_bench(
    bag: str | Path,
    node_config: Any,
    *,
    report_dir: str | Path | None,
    topics: BagTopics | None = None,
    out_bag: str | Path | None = None,
    samples: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> BenchRun:
    """Replay ``bag`` through the node's pipeline and write the report.

    Args:
        bag: input rosbag2.
        node_config: a ``NodeConfig`` (model, backend, model size, pairing, depth limits).
        report_dir: folder for report.json/.md and pictures; ``None`` writes nothing.
        topics: input topics (defaults: what ``make-bag`` writes).
        out_bag: write the input plus the output topics here.
        samples: frames in the contact sheet.
        progress: ``progress(done, total)`` after each frame.

    Returns:
        A :class:`BenchRun`.
    """
    from bridgenet_ros.bench.report import build_report, write_report

    pipeline, model_path, reason = build_node_pipeline(node_config)
    try:
        result = replay_bag(
            bag,
            pipeline,
            ReplayOptions(
                topics=topics or BagTopics(),
                sync_queue_size=node_config.sync_queue_size,
                sync_slop_s=node_config.sync_slop,
                out_bag=Path(out_bag) if out_bag is not None else None,
                samples=samples,
            ),
            progress=progress,
        )
    finally:
        pipeline.backend.close()
    report = build_report(
        result,
        backend=pipeline.backend.name,
        model=str(model_path),
        backend_reason=reason,
        runtime_config=dataclasses.asdict(pipeline.config),
    )
    report["node_config"] = dataclasses.asdict(node_config)
    files: dict[str, Path] = {}
    if report_dir is not None:
        files = write_report(report_dir, report, result)
    return BenchRun(report=report, files=files, result=result)
