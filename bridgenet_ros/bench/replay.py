# SPDX-License-Identifier: Apache-2.0
"""Offline bag replay through the node's own per-frame path.

No ROS installation is needed: messages are read with rosbags (rosbag2 sqlite3/MCAP or ROS 1
``.bag``) and driven through :class:`bridgenet_ros.stream.frame_stream.FrameStream`, the object
the node drives: header checks, ApproximateTime pairing (the node's queue size and slop),
optional registration, decoding, :class:`bridgenet_ros.runtime.pipeline.DepthSRPipeline` and
encoding to ``32FC1`` as the node publishes it; the colour and depth ``CameraInfo`` topics are fed
to it as the node's subscriptions are. A corrupt message is therefore rejected before pairing
exactly as in the node and counted under the same reason. Per frame we time the five stages
(decode, preprocess — including registration when configured —, inference, postprocess, encode)
and, when the bag has a ground-truth topic, score the SR output and the pipeline's own bicubic
up-sampling (``depth_lr_up``) against it.

For a real recording (``ReplayOptions.downsample``) the depth topic is full resolution: the
stream's depth step (the registration hook) hands the pipeline its hole-aware self-down-sampling
and the decoded depth is the reference, scored overall / flat / edge exactly as
``bridgenet eval --real-sensor`` (:mod:`bridgenet_ros.bench.real_recording`).

Throughput counts the replay machinery only (bag reading, deserialization, pairing, decoding,
pipeline, encoding); scoring against ground truth, keeping contact-sheet samples and writing
``--out-bag`` are instrumentation, timed separately (``instrumentation_s``), as is the
self-down-sampling of ``downsample``.

``--out-bag`` keeps the input messages and their stamps, and adds ``/depth_sr/image`` (and
``/depth_mde/image``) with the colour image's stamp and frame id plus ``/depth_sr/camera_info``
(the colour intrinsics scaled to the output grid) when the bag has a colour camera_info topic.
A rosbag2 input gives a rosbag2 output (same storage); a ROS 1 input gives a ROS 1 ``.bag``.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bridgenet_ros.bench.bag_reader import BagMessage, BagSource
from bridgenet_ros.bench.messages import (
    decode_image,
    image_msg_from_fields,
    scaled_camera_info_msg,
    typestore,
)
from bridgenet_ros.bench.real_recording import RegionScorer, SelfDownsampler
from bridgenet_ros.bench.stats import depth_errors
from bridgenet_ros.bench.topics import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    OUTPUT_MDE_TOPIC,
    OUTPUT_SR_INFO_TOPIC,
    OUTPUT_SR_TOPIC,
    BagTopics,
)
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.eval.real_sensor import DownsampleFilter
from bridgenet_ros.stream.codec import ImageCodecError
from bridgenet_ros.stream.frame_stream import (
    DEPTH,
    DROP_REASONS,
    RGB,
    FrameOutput,
    FrameStream,
    Registrar,
)
from bridgenet_ros.stream.params import NodeConfig

__all__ = ["FrameRecord", "FrameSample", "ReplayOptions", "ReplayResult", "replay_bag"]

#: the node's parameter defaults (pairing settings are taken from them)
_NODE_DEFAULTS = NodeConfig()

STAGES = ("decode", "preprocess", "inference", "postprocess", "encode")

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayOptions:
    """Options of :func:`replay_bag`.

    Attributes:
        topics: input topic names (``rgb``, ``depth``, ``gt`` are used).
        sync_queue_size: the pairer's queue size (default: the node's ``sync_queue_size``).
        sync_slop_s: the pairer's slop in seconds (default: the node's ``sync_slop``).
        max_input_pixels: larger images are rejected as the node rejects them.
        out_bag: write the input bag plus the output topics here (must not exist).
        samples: how many frames (evenly spread) to keep for the contact sheet.
        max_frames: stop after this many processed pairs (``None``: the whole bag).
        downsample: a real recording: the depth topic is full resolution; the pipeline gets its
            hole-aware self-down-sampling by this factor and the recorded depth is the
            reference, scored overall / flat / edge as ``eval --real-sensor`` (the ground-truth
            topic is not read). ``None``: the depth topic is the LR input.
        downsample_filter: ``bicubic`` or ``box``, the filter of ``downsample``.
        crop: border crop in pixels of the ``downsample`` scores (eval's ``--crop``).
    """

    topics: BagTopics = field(default_factory=BagTopics)
    sync_queue_size: int = _NODE_DEFAULTS.sync_queue_size
    sync_slop_s: float = _NODE_DEFAULTS.sync_slop
    max_input_pixels: int = _NODE_DEFAULTS.max_input_pixels
    out_bag: Path | None = None
    samples: int = 4
    max_frames: int | None = None
    downsample: float | None = None
    downsample_filter: DownsampleFilter = "bicubic"
    crop: int = 6

    def __post_init__(self) -> None:
        if self.downsample is not None:
            SelfDownsampler(self.downsample, self.downsample_filter)  # validates both
        if self.crop < 0:
            raise ConfigError(f"crop must be >= 0 pixels, got {self.crop}")
        if self.samples < 0:
            raise ConfigError(f"samples must be >= 0, got {self.samples}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"max_frames must be >= 1 or None, got {self.max_frames}")
        self.node_config()  # validates the pairing settings with the node's own rules

    def node_config(self) -> NodeConfig:
        """The node parameters the stream runs with (pairing and size limit from here)."""
        return NodeConfig(
            sync_queue_size=self.sync_queue_size,
            sync_slop=self.sync_slop_s,
            max_input_pixels=self.max_input_pixels,
        )


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
    """Everything :func:`replay_bag` measured.

    ``skipped`` counts dropped messages and pairs by reason (the stream's drop reasons, the
    reader's ``*_corrupt``/``*_out_of_order``, ground-truth problems); ``warnings`` counts the
    stream's other problems (``big_endian_input``, ``all_invalid_depth``, ``stamp_jump_back``,
    ``no_partner_in_slop``, camera_info problems) and ``pairing_unpaired``.
    """

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
    warnings: dict[str, int] = field(default_factory=dict)
    downsample: float | None = None
    regions: dict[str, Any] | None = None

    @property
    def reference(self) -> str | None:
        """What accuracy is measured against (``None``: not measured)."""
        if self.downsample is not None:
            return f"recording depth, self-down-sampled x{self.downsample:g}"
        return "ground-truth topic" if self.has_gt else None

    @property
    def pairs_dropped(self) -> int:
        """Colour frames of the bag that produced no output (unpaired, corrupt or skipped)."""
        return self.rgb_messages - len(self.frames)


def _peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _OutBag:
    """Copies the input messages and adds the output topics (stamps preserved).

    A rosbag2 input is copied into a rosbag2 bag of the same storage; a ROS 1 input into a ROS 1
    ``.bag`` (raw data copied as it is, outputs built with the input bag's ROS 1 types).
    """

    def __init__(self, path: Path, source: BagSource) -> None:
        if path.exists():
            raise DataError(f"--out-bag {path} already exists: choose a new path or delete it")
        self.ros1 = source.is_ros1
        # ROS 1 messages must be built from the bag's own (ROS 1) types; rosbag2 ones from Jazzy's
        self.store = source.typestore if self.ros1 else typestore()
        self.source_store = source.typestore
        try:
            self.writer = self._open(path, source)
        except Exception as err:  # WriterError, OSError (unwritable folder), ...
            raise DataError(
                f"cannot create --out-bag {path}: {type(err).__name__}: {err}; choose a "
                "writable path that does not exist yet"
            ) from err
        self.conns: dict[str, Any] = {}

    def _open(self, path: Path, source: BagSource) -> Any:
        if self.ros1:
            from rosbags.rosbag1 import Writer as Ros1Writer

            writer: Any = Ros1Writer(path)
        else:
            from rosbags.rosbag2 import StoragePlugin, Writer

            mcap = any(source.path.rglob("*.mcap")) or source.path.suffix == ".mcap"
            plugin = StoragePlugin.MCAP if mcap else StoragePlugin.SQLITE3
            writer = Writer(path, version=9, storage_plugin=plugin)
        writer.open()
        return writer

    def _conn(self, topic: str, msgtype: str, store: Any) -> Any:
        if topic not in self.conns:
            self.conns[topic] = self.writer.add_connection(topic, msgtype, typestore=store)
        return self.conns[topic]

    def copy(self, msg: BagMessage) -> None:
        conn = self._conn(msg.topic, msg.connection.msgtype, self.source_store)
        self.writer.write(conn, msg.log_ns, msg.rawdata)

    def add(self, topic: str, msgtype: str, log_ns: int, message: Any) -> None:
        """Serialize ``message`` for this bag's format and write it."""
        raw = (
            self.store.serialize_ros1(message, msgtype)
            if self.ros1
            else self.store.serialize_cdr(message, msgtype)
        )
        self.writer.write(self._conn(topic, msgtype, self.store), log_ns, bytes(raw))

    def write_output(self, output: FrameOutput, rgb: BagMessage, log_ns: int) -> None:
        """The node's outputs for one pair: depth_sr (+ camera_info) and depth_mde."""
        stamp, frame_id = rgb.stamp_ns, str(rgb.message.header.frame_id)
        sr = image_msg_from_fields(output.depth_sr, stamp, frame_id, self.store)
        self.add(OUTPUT_SR_TOPIC, IMAGE_TYPE, log_ns, sr)
        info = output.frame.camera_info
        if info is not None and output.camera_info is not None:
            msg = scaled_camera_info_msg(info, output.camera_info, stamp, frame_id, self.store)
            self.add(OUTPUT_SR_INFO_TOPIC, CAMERA_INFO_TYPE, log_ns, msg)
        if output.depth_mde is not None:
            mde = image_msg_from_fields(output.depth_mde, stamp, frame_id, self.store)
            self.add(OUTPUT_MDE_TOPIC, IMAGE_TYPE, log_ns, mde)

    def close(self) -> None:
        self.writer.close()


class _GroundTruth:
    """Scores frames against the ground-truth topic, whichever of the two arrives first."""

    def __init__(self, skipped: Counter[str]) -> None:
        self.skipped = skipped
        self.count = 0
        self.by_stamp: dict[int, np.ndarray] = {}
        # frames waiting for a ground-truth message with their stamp
        self.waiting: dict[
            int, tuple[FrameRecord, np.ndarray, np.ndarray, FrameSample | None]
        ] = {}

    def score(
        self,
        record: FrameRecord,
        sr: np.ndarray,
        up: np.ndarray,
        gt: np.ndarray,
        sample: FrameSample | None,
    ) -> None:
        rmse, mae, n_valid = depth_errors(sr, gt)
        b_rmse, b_mae, _ = depth_errors(up, gt)
        if n_valid == 0:
            self.skipped["gt_no_valid_pixel"] += 1
            return
        record.rmse, record.mae, record.bicubic_rmse, record.bicubic_mae = rmse, mae, b_rmse, b_mae
        if sample is not None:
            sample.depth_gt = gt

    def add_gt(self, msg: BagMessage) -> None:
        self.count += 1
        try:
            gt = decode_image(msg.message, "depth")
        except ImageCodecError:
            self.skipped["gt_decode"] += 1
            return
        if msg.stamp_ns in self.waiting:
            _score_waiting(self.waiting, msg.stamp_ns, gt, self.score)
        else:
            self.by_stamp[msg.stamp_ns] = gt
            _evict_older(self.by_stamp, msg.stamp_ns - 2_000_000_000)

    def add_frame(
        self, record: FrameRecord, output: FrameOutput, sample: FrameSample | None
    ) -> None:
        result = output.result
        gt_now = self.by_stamp.pop(record.stamp_ns, None)
        if gt_now is not None:
            self.score(record, result.depth_sr, result.depth_lr_up, gt_now, sample)
        else:
            self.waiting[record.stamp_ns] = (record, result.depth_sr, result.depth_lr_up, sample)
            _evict_older(self.waiting, record.stamp_ns - 2_000_000_000)


class _Replay:
    """The replay loop's state: one :class:`FrameStream`, the records, the output bag."""

    def __init__(
        self,
        source: BagSource,
        stream: FrameStream,
        opts: ReplayOptions,
        out: _OutBag | None,
        downsampler: SelfDownsampler | None = None,
    ) -> None:
        self.source, self.stream, self.opts, self.out = source, stream, opts, out
        self.skipped: Counter[str] = Counter()
        self.gt = _GroundTruth(self.skipped)
        self.downsampler = downsampler
        self.scorer = (
            RegionScorer(downsampler.scale, opts.crop, self.skipped)
            if downsampler is not None
            else None
        )
        self.frames: list[FrameRecord] = []
        self.samples: list[FrameSample] = []
        self.n_rgb = source.counts.get("rgb", 0)
        n_samples = min(opts.samples, self.n_rgb)
        spread = np.linspace(0, max(self.n_rgb - 1, 0), n_samples).round().astype(int)
        self.sample_at = set(spread.tolist()) if opts.samples else set()
        self.instr_s = 0.0
        self.t_start = time.perf_counter()

    def feed(self, msg: BagMessage) -> bool:
        """Handle one bag message; returns True when it produced a frame."""
        if self.out is not None:
            t0 = time.perf_counter()
            self.out.copy(msg)
            self.instr_s += time.perf_counter() - t0
        if msg.role == "gt":
            t0 = time.perf_counter()
            self.gt.add_gt(msg)
            self.instr_s += time.perf_counter() - t0
            return False
        if msg.role == "rgb_info":
            self.stream.set_camera_info(msg.message)
        elif msg.role == "depth_info":
            self.stream.set_depth_camera_info(msg.message)
        elif msg.role in ("rgb", "depth"):
            frame = self.stream.offer(RGB if msg.role == "rgb" else DEPTH, msg.message, item=msg)
            if frame is not None:
                output = self.stream.process(frame, encode_mde=True)
                if output is not None:
                    self._record(output)
                    return True
        return False

    def _record(self, output: FrameOutput) -> None:
        rgb_msg: BagMessage = output.frame.rgb.item
        depth_msg: BagMessage = output.frame.depth.item
        t = output.timings_ms
        # the stream's depth step: registration (the node's work, timed as preprocess) or the
        # bench's own self-down-sampling (instrumentation, excluded like scoring)
        depth_step_ms = t.get("register", 0.0)
        if self.downsampler is not None:
            self.instr_s += depth_step_ms / 1e3
            depth_step_ms = 0.0
        stages = {
            "decode": t["decode"],
            "preprocess": t["preprocess"] + depth_step_ms,
            "inference": t["inference"],
            "postprocess": t["postprocess"],
            "encode": t["encode"],
        }
        index = len(self.frames)
        record = FrameRecord(
            index=index,
            stamp_ns=rgb_msg.stamp_ns,
            stages_ms=stages,
            latency_ms=float(sum(stages.values())),
            t_s=time.perf_counter() - self.t_start,
        )
        self.frames.append(record)
        t4 = time.perf_counter()
        sample = self._sample(index, output)
        if self.out is not None:
            self.out.write_output(output, rgb_msg, max(rgb_msg.log_ns, depth_msg.log_ns))
        if self.source.has_gt:
            self.gt.add_frame(record, output, sample)
        if self.scorer is not None:
            self._score_against_recording(record, output, sample)
        self.instr_s += time.perf_counter() - t4

    def _sample(self, index: int, output: FrameOutput) -> FrameSample | None:
        """Keep frame ``index`` for the contact sheet when it is one of the chosen ones."""
        if index not in self.sample_at:
            return None
        r = output.result
        sample = FrameSample(
            index, output.rgb, output.depth_lr, r.depth_sr, r.depth_mde, r.depth_lr_up, None
        )
        self.samples.append(sample)
        return sample

    def _score_against_recording(
        self, record: FrameRecord, output: FrameOutput, sample: FrameSample | None
    ) -> None:
        """``--downsample``: score against the frame's own full-resolution depth."""
        assert self.scorer is not None
        reference = output.depth_decoded  # the recording's own depth, before down-sampling
        assert reference is not None
        result = output.result
        overall = self.scorer.score(result.depth_sr, result.depth_lr_up, reference)
        if overall is None:
            return
        model, bicubic = overall
        record.rmse, record.mae = model["rmse"], model["mae"]
        record.bicubic_rmse, record.bicubic_mae = bicubic["rmse"], bicubic["mae"]
        if sample is not None:
            sample.depth_gt = reference


def replay_bag(
    bag: str | Path,
    pipeline: Any,
    options: ReplayOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    registrar: Registrar | None = None,
) -> ReplayResult:
    """Replay a bag offline through the node's :class:`FrameStream` and ``pipeline``.

    Args:
        bag: rosbag2 directory (sqlite3 or MCAP) or ROS 1 ``.bag`` file.
        pipeline: a :class:`bridgenet_ros.runtime.pipeline.DepthSRPipeline` (the node's).
        options: topics, pairing settings, output bag, samples, ``downsample``.
        progress: called as ``progress(frames_done, rgb_messages_total)``.
        registrar: the stream's registration hook (``None``: depth used as recorded); not
            with ``options.downsample``, which uses that hook for its down-sampling.

    Returns:
        A :class:`ReplayResult`.

    Raises:
        ConfigError: ``registrar`` together with ``options.downsample``.
        DataError: unreadable bag, missing topic, wrong message type, empty bag, no pair made,
            unwritable ``out_bag``.
        BackendError: the backend failed.
    """
    opts = options or ReplayOptions()
    downsampler = _downsampler(opts, registrar)
    topics = opts.topics
    source = BagSource(
        bag,
        topics.rgb,
        topics.depth,
        None if downsampler is not None else topics.gt,
        include_other=opts.out_bag is not None,
        rgb_info_topic=topics.rgb_info,
        depth_info_topic=topics.depth_info,
    )
    stream = FrameStream(
        pipeline,
        opts.node_config(),
        registrar=downsampler if downsampler is not None else registrar,
        warn=LOGGER.warning,
        require_camera_info=source.has_rgb_info,
    )
    try:
        out = _OutBag(opts.out_bag, source) if opts.out_bag is not None else None
    except DataError:
        source.close()
        raise
    run = _Replay(source, stream, opts, out, downsampler)
    try:
        for msg in source:
            if opts.max_frames is not None and len(run.frames) >= opts.max_frames:
                break
            if run.feed(msg) and progress is not None:
                progress(len(run.frames), run.n_rgb)
    finally:
        replay_s = time.perf_counter() - run.t_start - run.instr_s
        if out is not None:
            out.close()
        source.close()
    return _result(run, replay_s)


def _downsampler(opts: ReplayOptions, registrar: Registrar | None) -> SelfDownsampler | None:
    """The depth step of ``opts.downsample`` (``None`` without it).

    Raises:
        ConfigError: a registrar was given too.
    """
    if opts.downsample is None:
        return None
    if registrar is not None:
        raise ConfigError(
            "--downsample cannot be combined with --register: the recording's depth is the "
            "reference, so it must already be aligned to the colour image (e.g. RealSense "
            "aligned_depth_to_color); benchmark unaligned depth without --downsample"
        )
    return SelfDownsampler(opts.downsample, opts.downsample_filter)


def _result(run: _Replay, replay_s: float) -> ReplayResult:
    """Collect the counters of a finished replay; no frame at all is an error."""
    source, skipped = run.source, run.skipped
    skipped.update(source.skipped)
    stats = run.stream.stats()
    skipped.update({k: stats[k] for k in DROP_REASONS})
    warnings = {k: v for k, v in stats.items() if k not in DROP_REASONS and k != "pairs"}
    warnings.pop("pairing_nearest_gap_ms", None)
    if source.has_gt:
        skipped["frames_without_gt"] += sum(1 for f in run.frames if f.rmse is None) - skipped.get(
            "gt_no_valid_pixel", 0
        )
    if not run.frames:
        gap = stats["pairing_nearest_gap_ms"]
        raise DataError(
            f"bag {source.path}: no RGB/depth pair was made from {run.n_rgb} RGB and "
            f"{source.counts.get('depth', 0)} depth messages (skipped: "
            f"{ {k: v for k, v in skipped.items() if v} or 'none' });"
            + (f" the nearest RGB/depth stamp gap seen was {gap} ms;" if gap >= 0 else "")
            + f" check the topics and that their stamps are within sync_slop="
            f"{run.opts.sync_slop_s} s (bench --sync-slop)"
        )
    return ReplayResult(
        bag=source.path,
        frames=run.frames,
        samples=run.samples,
        rgb_messages=run.n_rgb,
        depth_messages=source.counts.get("depth", 0),
        gt_messages=run.gt.count,
        pairs_made=stats["pairs"],
        skipped={k: int(v) for k, v in skipped.items() if v},
        warnings={k: int(v) for k, v in warnings.items() if v},
        replay_s=replay_s,
        instrumentation_s=run.instr_s,
        peak_rss_mb=_peak_rss_mb(),
        bag_duration_s=source.duration_s,
        has_gt=source.has_gt,
        out_bag=run.opts.out_bag,
        downsample=run.opts.downsample,
        regions=run.scorer.summary() if run.scorer is not None else None,
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
