# SPDX-License-Identifier: Apache-2.0
"""The offline bench end to end: build the node's pipeline, replay, write the report.

The pipeline is built from a :class:`bridgenet_ros.stream.params.NodeConfig` by the node's own
:func:`bridgenet_ros.stream.pipeline_factory.build_pipeline` (rclpy-free), so offline results
describe what the node runs.
Pairing uses the node's ``sync_queue_size`` and ``sync_slop`` (``bench --sync-slop`` sets the
latter) and its ``max_input_pixels``; frames go through the node's
:class:`~bridgenet_ros.stream.frame_stream.FrameStream`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from bridgenet_ros.bench.replay import ReplayOptions, ReplayResult, replay_bag
from bridgenet_ros.bench.topics import BagTopics

if TYPE_CHECKING:
    from bridgenet_ros.eval.real_sensor import DownsampleFilter
    from bridgenet_ros.stream.frame_stream import Registrar

__all__ = ["BenchRun", "run_offline_bench"]


@dataclass
class BenchRun:
    """What :func:`run_offline_bench` produced."""

    report: dict[str, Any]
    files: dict[str, Path]
    result: ReplayResult


def run_offline_bench(
    bag: str | Path,
    node_config: Any,
    *,
    report_dir: str | Path | None,
    topics: BagTopics | None = None,
    out_bag: str | Path | None = None,
    samples: int = 4,
    progress: Callable[[int, int], None] | None = None,
    downsample: float | None = None,
    downsample_filter: DownsampleFilter = "bicubic",
    crop: int = 6,
    registrar: Registrar | None = None,
) -> BenchRun:
    """Replay ``bag`` through the node's pipeline and write the report.

    Args:
        bag: input rosbag2 directory or ROS 1 ``.bag`` file.
        node_config: a ``NodeConfig`` (model, backend, model size, pairing, depth limits).
        report_dir: folder for report.json/.md and pictures; ``None`` writes nothing.
        topics: input topics (defaults: what ``make-bag`` writes).
        out_bag: write the input plus the output topics here.
        samples: frames in the contact sheet.
        progress: ``progress(done, total)`` after each frame.
        downsample: a real recording: LR = self-down-sampling of the (full-resolution) depth
            topic by this factor, scored against that depth (``ReplayOptions.downsample``).
        downsample_filter: ``bicubic`` or ``box``.
        crop: border crop in pixels of the ``downsample`` scores.
        registrar: the stream's registration hook
            (:func:`bridgenet_ros.bench.real_recording.bag_registrar`), or ``None``.

    Returns:
        A :class:`BenchRun`.
    """
    from bridgenet_ros.bench.report import build_report, write_report
    from bridgenet_ros.stream.pipeline_factory import build_pipeline

    pipeline, model_path, reason = build_pipeline(node_config)
    try:
        result = replay_bag(
            bag,
            pipeline,
            ReplayOptions(
                topics=topics or BagTopics(),
                sync_queue_size=node_config.sync_queue_size,
                sync_slop_s=node_config.sync_slop,
                max_input_pixels=node_config.max_input_pixels,
                out_bag=Path(out_bag) if out_bag is not None else None,
                samples=samples,
                downsample=downsample,
                downsample_filter=downsample_filter,
                crop=crop,
            ),
            progress=progress,
            registrar=registrar,
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
