# SPDX-License-Identifier: Apache-2.0
"""Offline rosbag replay through the node's pairing policy and the runtime pipeline.

No ROS installation is needed: messages are read with rosbags, paired by
:class:`bridgenet_ros.ros.pairing.ApproximateTimePairer` (the node's policy, same queue size and
slop), decoded by :mod:`bridgenet_ros.ros.codec`, run through
:class:`bridgenet_ros.runtime.pipeline.DepthSRPipeline` and encoded back to ``32FC1`` messages as
the node publishes them. Per frame we time the five stages (decode, preprocess, inference,
postprocess, encode) and, when the bag has a ground-truth topic, score the SR output and the
pipeline's own bicubic up-sampling (``depth_lr_up``) against it.

Throughput counts the replay machinery only (bag reading, deserialization, pairing, decoding,
pipeline, encoding); scoring against ground truth, keeping contact-sheet samples and writing
``--out-bag`` are instrumentation, timed separately (``instrumentation_s``).
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bridgenet_ros.bench.bag_reader import BagMessage, BagSource
from bridgenet_ros.bench.messages import image_msg, serialize
from bridgenet_ros.bench.stats import depth_errors
from bridgenet_ros.bench.topics import IMAGE_TYPE, OUTPUT_MDE_TOPIC, OUTPUT_SR_TOPIC, BagTopics
from bridgenet_ros.errors import ConfigError, DataError, ShapeError
from bridgenet_ros.ros.params import NodeConfig

__all__ = ["FrameRecord", "FrameSample", "ReplayOptions", "ReplayResult", "replay_bag"]

#: the node's parameter defaults (pairing settings are taken from them)
_NODE_DEFAULTS = NodeConfig()

STAGES = ("decode", "preprocess", "inference", "postprocess", "encode")


@dataclass(frozen=True)
class ReplayOptions:
    """Options of :func:`replay_bag`.

    Attributes:
        topics: input topic names (``rgb``, ``depth``, ``gt`` are used).
        sync_queue_size: the pairer's queue size (default: the node's ``sync_queue_size``).
        sync_slop_s: the pairer's slop in seconds (default: the node's ``sync_slop``).
        out_bag: write the input bag plus the output topics here (must not exist).
        samples: how many frames (evenly spread) to keep for the contact sheet.
        max_frames: stop after this many processed pairs (``None``: the whole bag).
    """

    topics: BagTopics = field(default_factory=BagTopics)
    sync_queue_size: int = _NODE_DEFAULTS.sync_queue_size
    sync_slop_s: float = _NODE_DEFAULTS.sync_slop
    out_bag: Path | None = None
    samples: int = 4
    max_frames: int | None = None

    def __post_init__(self) -> None:
        if self.samples < 0:
            raise ConfigError(f"samples must be >= 0, got {self.samples}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"max_frames must be >= 1 or None, got {self.max_frames}")


@dataclass
class FrameRecord:
    """Timings and errors of one processed pair (times in ms, errors in metres)."""

    index: int
    stamp_ns: int
    stages_ms: dict[str, float]
    latency_ms: float
    t_s: float
    rmse: float | None = None
    mae: float | None = None
    bicubic_rmse: float | None = None
    bicubic_mae: float | None = None


@dataclass
class FrameSample:
    """Arrays of one frame kept for the contact sheet."""

    index: int
    rgb: np.ndarray
    depth_lr: np.ndarray
    depth_sr: np.ndarray
    depth_mde: np.ndarray | None
    depth_lr_up: np.ndarray
    depth_gt: np.ndarray | None


@dataclass
class ReplayResult:
    """Everything :func:`replay_bag` measured."""

    bag: Path
    frames: list[FrameRecord]
    samples: list[FrameSample]
    rgb_messages: int
    depth_messages: int
    gt_messages: int
    pairs_made: int
    skipped: dict[str, int]
    replay_s: float
    instrumentation_s: float
    peak_rss_mb: float
    bag_duration_s: float
    has_gt: bool
    out_bag: Path | None

    @property
    def pairs_dropped(self) -> int:
        """Colour frames of the bag that produced no output (unpaired, corrupt or skipped)."""
        return self.rgb_messages - len(self.frames)


def _peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _OutBag:
    """Copies the input messages and adds the output topics (stamps preserved)."""

    def __init__(self, path: Path, source: BagSource) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer, WriterError

        if path.exists():
            raise DataError(f"--out-bag {path} already exists: choose a new path or delete it")
        storage = (
            StoragePlugin.MCAP
            if any(source.path.rglob("*.mcap")) or (source.path.suffix == ".mcap")
            else StoragePlugin.SQLITE3
        )
        try:
            self.writer = Writer(path, version=9, storage_plugin=storage)
            self.writer.open()
        except WriterError as err:
            raise DataError(f"cannot create --out-bag {path}: {err}") from err
        self.typestore = source._reader.typestore
        self.conns: dict[str, Any] = {}

    def _conn(self, topic: str, msgtype: str) -> Any:
        if topic not in self.conns:
            self.conns[topic] = self.writer.add_connection(
                topic, msgtype, typestore=self.typestore
            )
        return self.conns[topic]

    def copy(self, msg: BagMessage) -> None:
        self.writer.write(self._conn(msg.topic, msg.connection.msgtype), msg.log_ns, msg.rawdata)

    def add(self, topic: str, log_ns: int, rawdata: bytes) -> None:
        self.writer.write(self._conn(topic, IMAGE_TYPE), log_ns, rawdata)

    def close(self) -> None:
        self.writer.close()


def replay_bag(
    bag: str | Path,
    pipeline: Any,
    options: ReplayOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay a bag offline through the node's pairing and ``pipeline``.

    Args:
        bag: rosbag2 directory (sqlite3 or MCAP).
        pipeline: a :class:`bridgenet_ros.runtime.pipeline.DepthSRPipeline` (the node's).
        options: topics, pairing settings, output bag, samples.
        progress: called as ``progress(frames_done, rgb_messages_total)``.

    Returns:
        A :class:`ReplayResult`.

    Raises:
        DataError: unreadable bag, missing topic, wrong message type, empty bag, no pair made.
        BackendError: the backend failed.
    """
    from bridgenet_ros.bench.messages import decode_image
    from bridgenet_ros.ros.codec import ImageCodecError
    from bridgenet_ros.ros.pairing import ApproximateTimePairer

    opts = options or ReplayOptions()
    topics = opts.topics
    source = BagSource(
        bag, topics.rgb, topics.depth, topics.gt, include_other=opts.out_bag is not None
    )
    pairer: ApproximateTimePairer[BagMessage] = ApproximateTimePairer(
        opts.sync_queue_size, opts.sync_slop_s
    )
    n_rgb = source.counts.get("rgb", 0)
    sample_at = (
        set(
            np.linspace(0, max(n_rgb - 1, 0), min(opts.samples, n_rgb))
            .round()
            .astype(int)
            .tolist()
        )
        if opts.samples
        else set()
    )
    skipped: Counter[str] = Counter()
    frames: list[FrameRecord] = []
    samples: list[FrameSample] = []
    gt_by_stamp: dict[int, np.ndarray] = {}
    # frames waiting for a ground-truth message with their stamp: stamp -> (record, sr, up, sample)
    waiting: dict[int, tuple[FrameRecord, np.ndarray, np.ndarray, FrameSample | None]] = {}
    try:
        out = _OutBag(opts.out_bag, source) if opts.out_bag is not None else None
    except DataError:
        source.close()
        raise
    instr_s = 0.0
    gt_count = 0

    def score(
        record: FrameRecord,
        sr: np.ndarray,
        up: np.ndarray,
        gt: np.ndarray,
        sample: FrameSample | None,
    ) -> None:
        rmse, mae, n_valid = depth_errors(sr, gt)
        b_rmse, b_mae, _ = depth_errors(up, gt)
        if n_valid == 0:
            skipped["gt_no_valid_pixel"] += 1
            return
        record.rmse, record.mae, record.bicubic_rmse, record.bicubic_mae = rmse, mae, b_rmse, b_mae
        if sample is not None:
            sample.depth_gt = gt

    t_start = time.perf_counter()
    try:
        for msg in source:
            if opts.max_frames is not None and len(frames) >= opts.max_frames:
                break
            if msg.role == "other":
                if out is not None:
                    t0 = time.perf_counter()
                    out.copy(msg)
                    instr_s += time.perf_counter() - t0
                continue
            if out is not None:
                t0 = time.perf_counter()
                out.copy(msg)
                instr_s += time.perf_counter() - t0
            if msg.role == "gt":
                t0 = time.perf_counter()
                gt_count += 1
                try:
                    gt = decode_image(msg.message, "depth")
                except ImageCodecError:
                    skipped["gt_decode"] += 1
                    instr_s += time.perf_counter() - t0
                    continue
                if msg.stamp_ns in waiting:
                    _score_waiting(waiting, msg.stamp_ns, gt, score)
                else:
                    gt_by_stamp[msg.stamp_ns] = gt
                    _evict_older(gt_by_stamp, msg.stamp_ns - 2_000_000_000)
                instr_s += time.perf_counter() - t0
                continue
            pair = pairer.add(0 if msg.role == "rgb" else 1, msg.stamp_ns, msg)
            if pair is None:
                continue
            rgb_msg, depth_msg = pair.items
            t0 = time.perf_counter()
            try:
                rgb = decode_image(rgb_msg.message, "rgb")
                depth_lr = decode_image(depth_msg.message, "depth")
            except ImageCodecError as err:
                skipped[f"decode_{err.reason}"] += 1
                continue
            t1 = time.perf_counter()
            try:
                result = pipeline.run(rgb, depth_lr)
            except ShapeError:
                skipped["pipeline_shape"] += 1
                continue
            t2 = time.perf_counter()
            frame_id = str(rgb_msg.message.header.frame_id)
            sr_raw = serialize(
                image_msg(result.depth_sr, "32FC1", rgb_msg.stamp_ns, frame_id), IMAGE_TYPE
            )
            mde_raw = None
            if result.depth_mde is not None:
                mde_raw = serialize(
                    image_msg(result.depth_mde, "32FC1", rgb_msg.stamp_ns, frame_id), IMAGE_TYPE
                )
            t3 = time.perf_counter()
            stages = {
                "decode": (t1 - t0) * 1e3,
                "preprocess": float(result.timings_ms["preprocess"]),
                "inference": float(result.timings_ms["inference"]),
                "postprocess": float(result.timings_ms["postprocess"]),
                "encode": (t3 - t2) * 1e3,
            }
            index = len(frames)
            record = FrameRecord(
                index=index,
                stamp_ns=rgb_msg.stamp_ns,
                stages_ms=stages,
                latency_ms=float(sum(stages.values())),
                t_s=t3 - t_start,
            )
            frames.append(record)
            t4 = time.perf_counter()
            sample = None
            if index in sample_at:
                sample = FrameSample(
                    index,
                    rgb,
                    depth_lr,
                    result.depth_sr,
                    result.depth_mde,
                    result.depth_lr_up,
                    None,
                )
                samples.append(sample)
            if out is not None:
                log_ns = max(rgb_msg.log_ns, depth_msg.log_ns)
                out.add(OUTPUT_SR_TOPIC, log_ns, sr_raw)
                if mde_raw is not None:
                    out.add(OUTPUT_MDE_TOPIC, log_ns, mde_raw)
            if source.has_gt:
                gt_now = gt_by_stamp.pop(rgb_msg.stamp_ns, None)
                if gt_now is not None:
                    score(record, result.depth_sr, result.depth_lr_up, gt_now, sample)
                else:
                    waiting[rgb_msg.stamp_ns] = (
                        record,
                        result.depth_sr,
                        result.depth_lr_up,
                        sample,
                    )
                    _evict_older(waiting, rgb_msg.stamp_ns - 2_000_000_000)
            instr_s += time.perf_counter() - t4
            if progress is not None:
                progress(len(frames), n_rgb)
    finally:
        replay_s = time.perf_counter() - t_start - instr_s
        if out is not None:
            out.close()
        source.close()
    skipped.update(source.skipped)
    if source.has_gt:
        skipped["frames_without_gt"] += sum(1 for f in frames if f.rmse is None) - skipped.get(
            "gt_no_valid_pixel", 0
        )
    if not frames:
        raise DataError(
            f"bag {source.path}: no RGB/depth pair was made from {n_rgb} RGB and "
            f"{source.counts.get('depth', 0)} depth messages (skipped: {dict(skipped) or 'none'});"
            f" check the topics and that their stamps are within sync_slop="
            f"{opts.sync_slop_s} s"
        )
    return ReplayResult(
        bag=source.path,
        frames=frames,
        samples=samples,
        rgb_messages=n_rgb,
        depth_messages=source.counts.get("depth", 0),
        gt_messages=gt_count,
        pairs_made=pairer.stats.paired,
        skipped={k: int(v) for k, v in skipped.items() if v},
        replay_s=replay_s,
        instrumentation_s=instr_s,
        peak_rss_mb=_peak_rss_mb(),
        bag_duration_s=source.duration_s,
        has_gt=source.has_gt,
        out_bag=opts.out_bag,
    )


def _score_waiting(
    waiting: dict[int, tuple[FrameRecord, np.ndarray, np.ndarray, FrameSample | None]],
    stamp_ns: int,
    gt: np.ndarray,
    score: Callable[[FrameRecord, np.ndarray, np.ndarray, np.ndarray, FrameSample | None], None],
) -> None:
    record, sr, up, sample = waiting.pop(stamp_ns)
    score(record, sr, up, gt, sample)


def _evict_older(mapping: dict[int, Any], oldest_ns: int) -> None:
    """Drop the entries of ``mapping`` keyed by a stamp older than ``oldest_ns``."""
    for key in [k for k in mapping if k < oldest_ns]:
        del mapping[key]
