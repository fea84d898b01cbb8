# SPDX-License-Identifier: Apache-2.0
"""The per-frame path shared by the node and the offline bench (ROS-free).

:class:`FrameStream` takes image messages (rclpy or rosbags, duck-typed) and does, per frame:

1. :meth:`FrameStream.offer`: header checks (encoding, size, ``max_input_pixels``, ``step``,
   data length) so a bad message never takes a partner, then ApproximateTime pairing
   (:class:`~bridgenet_ros.stream.pairing.ApproximateTimePairer`); returns a
   :class:`PairedFrame` when a pair completes.
2. :meth:`FrameStream.process`: decode → optional registration hook (:attr:`registrar`, applied
   to the LR depth in metres) → the pipeline's ``run`` (the numpy
   :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline` or a deployment graph's
   :class:`~bridgenet_ros.runtime.graph_pipeline.GraphPipeline`) → encode the outputs as
   ``32FC1`` image fields, plus the RGB intrinsics scaled to the output grid. Without a
   registrar, depth and RGB camera_infos that describe different cameras are counted
   (``depth_not_registered``) and warned about.

Every drop or oddity is counted by reason in :attr:`FrameStream.counters` (the names are
:data:`PROBLEMS`) and reported through ``warn`` at most once per :data:`WARN_PERIOD_S` per
reason. The node calls :meth:`offer` on the executor thread and :meth:`process` on its inference
thread; the bench calls both in its replay loop, so a corrupt message is treated identically.
Thread-safe.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import numpy as np

from bridgenet_ros.errors import BridgenetError, DataError, ShapeError
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.runtime.pipeline import PipelineResult
from bridgenet_ros.stream.codec import (
    COLOR_ENCODINGS,
    DEPTH_ENCODINGS,
    ENCODINGS,
    ImageFields,
    array_to_image_fields,
    decode_depth_m,
    decode_rgb,
)
from bridgenet_ros.stream.pairing import ApproximateTimePairer
from bridgenet_ros.stream.params import NodeConfig
from bridgenet_ros.stream.registration import camera_infos_differ
from bridgenet_ros.stream.stamps import stamp_to_ns

if TYPE_CHECKING:
    from bridgenet_ros.runtime.backends.graph_runner import Pipeline

__all__ = [
    "DEPTH",
    "DROP_REASONS",
    "PROBLEMS",
    "RGB",
    "FrameOutput",
    "FrameStream",
    "PairedFrame",
    "Registrar",
    "StreamInput",
    "info_matrix",
    "intrinsics_of",
]

RGB, DEPTH = 0, 1
TOPICS = ("rgb/image", "depth/image")
#: seconds between two warnings about the same problem
WARN_PERIOD_S = 5.0
#: reasons that drop a message or pair (no output for it)
DROP_REASONS = (
    "unsupported_encoding",
    "bad_data_length",
    "bad_image_size",
    "oversized_image",
    "size_mismatch",
    "registration_failed",
    "inference_failed",
)
#: every counter of :attr:`FrameStream.counters` (all start at 0)
PROBLEMS = DROP_REASONS + (
    "big_endian_input",
    "all_invalid_depth",
    "stamp_jump_back",
    "no_partner_in_slop",
    "missing_camera_info",
    "camera_info_mismatch",
    "zero_camera_info",
    "depth_not_registered",
)

#: registration hook: ``(depth_lr_m (h, w) float32, depth intrinsics or None) -> depth (H', W')``
Registrar = Callable[[np.ndarray, Optional[CameraIntrinsics]], np.ndarray]


@dataclass(frozen=True)
class StreamInput:
    """One accepted image message.

    Attributes:
        msg: the ``sensor_msgs/Image``-like message.
        stamp_ns: its header stamp in nanoseconds.
        receipt_s: when it was received (``time.monotonic()`` unless the caller says otherwise).
        item: what the caller attached (the bench's ``BagMessage``), returned with the pair.
    """

    msg: Any
    stamp_ns: int
    receipt_s: float
    item: Any = None


@dataclass(frozen=True)
class PairedFrame:
    """A paired RGB + depth input with the camera infos current when it paired."""

    rgb: StreamInput
    depth: StreamInput
    camera_info: Any | None = None
    depth_camera_info: Any | None = None

    @property
    def receipt_s(self) -> float:
        """When the pair became complete (the later receipt), monotonic seconds."""
        return max(self.rgb.receipt_s, self.depth.receipt_s)


@dataclass
class FrameOutput:
    """What :meth:`FrameStream.process` produced for one pair.

    Attributes:
        frame: the input pair.
        rgb: ``(H, W, 3)`` uint8 decoded RGB.
        depth_lr: ``(h, w)`` float32 LR depth in metres as fed to the pipeline (registered when
            a registrar is set).
        result: the pipeline result (``depth_sr``, ``depth_mde``, ``depth_lr_up``, timings).
        depth_sr: ``32FC1`` image fields of ``result.depth_sr`` (header: ``frame.rgb.msg``'s);
            ``data`` is a read-only view of that array, not a copy.
        depth_mde: ``32FC1`` fields of ``result.depth_mde`` when asked for and present.
        camera_info: the RGB intrinsics scaled to the output grid, ``None`` when no usable
            ``rgb/camera_info`` (counted).
        timings_ms: ``decode``, ``register`` (with a registrar), ``preprocess``, ``inference``,
            ``postprocess``, ``encode`` in milliseconds.
        depth_decoded: the depth image as decoded, metres, before the registration hook (the
            same array as ``depth_lr`` without a hook); the bench's ``--downsample`` scores
            against it.
    """

    frame: PairedFrame
    rgb: np.ndarray
    depth_lr: np.ndarray
    result: PipelineResult
    depth_sr: ImageFields
    depth_mde: ImageFields | None
    camera_info: CameraIntrinsics | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    depth_decoded: np.ndarray | None = None


def info_matrix(info: Any, name: str) -> np.ndarray:
    """A matrix field of a ``CameraInfo`` as a flat float64 array.

    ROS 2 names them ``k``/``p``/``d``/``r``; ROS 1 (rosbags reading a ``.bag``) ``K``/``P``/...
    """
    value = getattr(info, name, None)
    if value is None:
        value = getattr(info, name.upper())
    return np.asarray(value, dtype=np.float64).reshape(-1)


def intrinsics_of(info: Any) -> CameraIntrinsics | None:
    """:class:`CameraIntrinsics` of a ``sensor_msgs/CameraInfo``-like object, ``None`` if unusable.

    Unusable: zero size, or a ``K`` that is all zeros (an uncalibrated camera).
    """
    if info is None:
        return None
    k = info_matrix(info, "k")
    if int(info.width) <= 0 or int(info.height) <= 0 or k.size != 9 or not np.any(k):
        return None
    p = info_matrix(info, "p")
    if not np.any(p):  # no projection given: CameraIntrinsics defaults to [K | 0]
        p = np.zeros((0,))
    try:
        return CameraIntrinsics(width=int(info.width), height=int(info.height), k=k, p=p)
    except ShapeError:
        return None


class FrameStream:
    """Header check → pair → register → decode → pipeline → encode, counted by reason.

    Args:
        pipeline: the runtime pipeline (built once by
            :func:`~bridgenet_ros.stream.pipeline_factory.build_pipeline`).
        config: node parameters (``sync_queue_size``, ``sync_slop``, ``max_input_pixels``,
            ``publish_mde``; ``min_depth``/``max_depth`` are applied by :meth:`configure`).
        registrar: optional registration hook, ``registrar(depth_lr_m, depth_intrinsics)``,
            applied to the decoded LR depth (metres) before the pipeline; ``depth_intrinsics``
            come from the latest depth camera_info (:meth:`set_depth_camera_info`) or are
            ``None``. It may be set later through the :attr:`registrar` attribute.
        warn: receives each (throttled) problem message; ``None`` only counts.
        require_camera_info: count ``missing_camera_info`` when no RGB camera_info came yet
            (the bench turns it off for bags without a camera_info topic).
        clock: monotonic clock for receipt times and warning throttling.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        config: NodeConfig,
        *,
        registrar: Registrar | None = None,
        warn: Callable[[str], None] | None = None,
        require_camera_info: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pipeline = pipeline
        self.config = config
        self.registrar = registrar
        self.warn = warn
        self.require_camera_info = require_camera_info
        self.clock = clock
        # re-entrant: the pairer's reset callback counts a problem while the lock is held
        self._lock = threading.RLock()
        self.counters: Counter[str] = Counter({name: 0 for name in PROBLEMS})
        self._last_warn: dict[str, float] = {}
        self._alignment: tuple[Any, str | None] | None = None  # (camera key, reason)
        self.camera_info: Any | None = None
        self.depth_camera_info: Any | None = None
        self.pairer: ApproximateTimePairer[StreamInput] = ApproximateTimePairer(
            config.sync_queue_size, config.sync_slop, on_reset=self._on_stamp_reset
        )

    # ------------------------------------------------------------------ configuration

    def configure(self, config: NodeConfig) -> None:
        """Apply run-time parameter changes (pairing, size limit, depth limits).

        ``pipeline.config`` is swapped atomically; a frame in flight keeps the one it read.
        The pipeline goes first: when it refuses the depth limits (a deployment graph has them
        baked in) nothing is changed.

        Raises:
            ConfigError: the pipeline refuses the new depth limits.
        """
        self.pipeline.config = dataclasses.replace(
            self.pipeline.config, min_depth=config.min_depth, max_depth=config.max_depth
        )
        with self._lock:
            self.pairer.configure(config.sync_queue_size, config.sync_slop)
            self.config = config

    # ------------------------------------------------------------------ problems

    def problem(self, kind: str, message: str) -> None:
        """Count ``kind`` and pass ``message`` to ``warn`` at most once per period per kind."""
        now = self.clock()
        with self._lock:
            self.counters[kind] += 1
            count = self.counters[kind]
            last = self._last_warn.get(kind)
            if last is not None and now - last < WARN_PERIOD_S:
                return
            self._last_warn[kind] = now
        if self.warn is not None:
            self.warn(f"{message} [{kind}: {count} so far]")

    def stats(self) -> dict[str, int]:
        """Problem counters plus pairing counters (a copy).

        Adds ``pairs`` (pairs made), ``pairing_unpaired`` (messages discarded unpaired) and
        ``pairing_nearest_gap_ms`` (the nearest RGB/depth stamp gap of the last arrival that
        found no partner within ``sync_slop``; -1 before any).
        """
        with self._lock:
            counters = dict(self.counters)
            pairing = self.pairer.stats
            counters["pairing_unpaired"] = pairing.evicted
            counters["pairs"] = pairing.paired
            gap = pairing.last_gap_ns
            counters["pairing_nearest_gap_ms"] = -1 if gap is None else round(gap / 1e6)
        return counters

    # ------------------------------------------------------------------ inputs

    def set_camera_info(self, info: Any) -> None:
        """Cache the latest ``rgb/camera_info`` (an all-zero ``K`` is counted and warned)."""
        self._check_info(info, "rgb/camera_info")
        with self._lock:
            self.camera_info = info

    def set_depth_camera_info(self, info: Any) -> None:
        """Cache the latest ``depth/camera_info`` (handed to the registrar)."""
        self._check_info(info, "depth/camera_info")
        with self._lock:
            self.depth_camera_info = info

    def _check_info(self, info: Any, topic: str) -> None:
        if not np.any(info_matrix(info, "k")):
            self.problem(
                "zero_camera_info",
                f"{topic}: K is all zeros (uncalibrated camera?): its intrinsics cannot be "
                "used; calibrate the camera or fix the driver's camera_info",
            )

    def check_header(self, msg: Any, stream: int) -> bool:
        """Cheap header checks before pairing, so a bad message never takes a partner.

        Returns:
            Whether ``msg`` may be paired (a big-endian image is accepted but counted).
        """
        topic = TOPICS[stream]
        encodings: Sequence[str] = COLOR_ENCODINGS if stream == RGB else DEPTH_ENCODINGS
        encoding = str(msg.encoding)
        height, width, step = int(msg.height), int(msg.width), int(msg.step)
        if encoding not in encodings:
            self.problem(
                "unsupported_encoding",
                f"{topic}: unsupported encoding {encoding!r}; expected one of {list(encodings)}",
            )
            return False
        if height == 0 or width == 0:
            self.problem("bad_image_size", f"{topic}: empty image {width}x{height}")
            return False
        limit = self.config.max_input_pixels
        if height * width > limit:
            self.problem(
                "oversized_image",
                f"{topic}: {width}x{height} image exceeds max_input_pixels={limit}",
            )
            return False
        base, channels = ENCODINGS[encoding]
        itemsize = np.dtype(base).itemsize
        row = width * channels * itemsize
        if step < row:
            self.problem(
                "bad_image_size",
                f"{topic}: step {step} is smaller than a {width}-pixel {encoding} row "
                f"({row} bytes)",
            )
            return False
        if len(msg.data) != step * height:
            self.problem(
                "bad_data_length",
                f"{topic}: data length {len(msg.data)} != step x height = {step} x {height}",
            )
            return False
        if msg.is_bigendian and itemsize > 1:
            # Decoded correctly (byte-swapped), but worth knowing: it costs a copy per frame.
            self.problem("big_endian_input", f"{topic}: big-endian {encoding} data (byte-swapped)")
        return True

    def offer(
        self,
        stream: int,
        msg: Any,
        *,
        receipt_s: float | None = None,
        item: Any = None,
    ) -> PairedFrame | None:
        """Check an image message and pair it.

        Args:
            stream: :data:`RGB` (0) or :data:`DEPTH` (1).
            msg: the ``sensor_msgs/Image``-like message.
            receipt_s: when it arrived (default: now on :attr:`clock`).
            item: anything to return with the pair (the bench's bag record).

        Returns:
            The pair this message completes, or ``None`` (rejected, counted; or queued).
        """
        receipt = self.clock() if receipt_s is None else receipt_s
        if not self.check_header(msg, stream):
            return None
        accepted = StreamInput(msg, stamp_to_ns(msg.header.stamp), receipt, item)
        with self._lock:
            before = self.pairer.stats.no_partner
            pair = self.pairer.add(stream, accepted.stamp_ns, accepted)
            unmatched = self.pairer.stats.no_partner > before
            info, depth_info = self.camera_info, self.depth_camera_info
        if unmatched:
            self._explain_no_partner(stream, accepted.stamp_ns)
        if pair is None:
            return None
        return PairedFrame(pair.items[RGB], pair.items[DEPTH], info, depth_info)

    def _explain_no_partner(self, stream: int, stamp_ns: int) -> None:
        gap = self.pairer.stats.last_gap_ns or 0
        self.problem(
            "no_partner_in_slop",
            f"{TOPICS[stream]} at {stamp_ns / 1e9:.3f} s: the nearest {TOPICS[1 - stream]} "
            f"stamp is {gap / 1e6:.1f} ms away, more than sync_slop="
            f"{self.pairer.slop_s * 1e3:.1f} ms: nothing is paired. Raise sync_slop or "
            "synchronize the camera clocks",
        )

    def _on_stamp_reset(self, stream: int, previous_ns: int, stamp_ns: int) -> None:
        self.problem(
            "stamp_jump_back",
            f"{TOPICS[stream]}: stamp jumped back from {previous_ns / 1e9:.3f} s to "
            f"{stamp_ns / 1e9:.3f} s (looping bag or restarted source): pairing reset",
        )

    # ------------------------------------------------------------------ processing

    def process(self, frame: PairedFrame, *, encode_mde: bool | None = None) -> FrameOutput | None:
        """Decode, register, run the pipeline and encode one pair.

        Args:
            frame: from :meth:`offer`.
            encode_mde: also encode ``depth_mde`` (default: the ``publish_mde`` parameter).

        Returns:
            The output, or ``None`` when the pair is dropped (counted: ``bad_image_size`` for
            an undecodable image, ``registration_failed`` when the registrar raises a
            ``BridgenetError``, ``size_mismatch`` for RGB/depth sizes the pipeline refuses).

        Raises:
            BridgenetError: the backend failed (the node counts it as ``inference_failed``;
                the bench stops with the error). Any other exception of the registrar or the
                backend propagates likewise.
        """
        t0 = time.perf_counter()
        try:
            rgb = decode_rgb(frame.rgb.msg)
            depth_decoded = depth_lr = decode_depth_m(frame.depth.msg)
        except DataError as err:
            self.problem("bad_image_size", f"cannot decode the pair: {err}")
            return None
        timings = {"decode": (time.perf_counter() - t0) * 1e3}
        if self.registrar is not None:
            t_reg = time.perf_counter()
            try:
                depth_lr = self.registrar(depth_lr, intrinsics_of(frame.depth_camera_info))
            except BridgenetError as err:  # e.g. no depth camera_info yet, wrong depth size
                self.problem("registration_failed", f"cannot register the depth: {err}")
                return None
            timings["register"] = (time.perf_counter() - t_reg) * 1e3
        else:
            self._check_alignment(frame)
        try:
            result = self.pipeline.run(rgb, depth_lr)
        except ShapeError as err:
            self.problem("size_mismatch", f"RGB/depth pair rejected: {err}")
            return None
        if result.depth_range is None:  # the pipeline found no valid LR pixel
            self.problem(
                "all_invalid_depth",
                f"depth/image at {frame.depth.stamp_ns / 1e9:.3f} s has no valid pixel: "
                "publishing all-NaN depth",
            )
        timings.update({k: float(v) for k, v in result.timings_ms.items()})
        t_enc = time.perf_counter()
        # views of the fresh result arrays, not copies (the pipeline never reuses them)
        sr = array_to_image_fields(result.depth_sr, "32FC1", copy=False)
        mde = None
        want_mde = self.config.publish_mde if encode_mde is None else encode_mde
        if want_mde and result.depth_mde is not None:
            mde = array_to_image_fields(result.depth_mde, "32FC1", copy=False)
        timings["encode"] = (time.perf_counter() - t_enc) * 1e3
        info = self._output_intrinsics(frame.camera_info, rgb.shape[:2])
        return FrameOutput(frame, rgb, depth_lr, result, sr, mde, info, timings, depth_decoded)

    def _check_alignment(self, frame: PairedFrame) -> None:
        """Count ``depth_not_registered`` when the two camera_infos describe different cameras.

        The comparison (:func:`~bridgenet_ros.stream.registration.camera_infos_differ`) runs
        once per distinct pair of cameras; each frame of a differing pair is counted.
        """
        depth = intrinsics_of(frame.depth_camera_info)
        rgb = intrinsics_of(frame.camera_info)
        if depth is None or rgb is None:
            return
        key = tuple((c.width, c.height, c.k.tobytes(), c.p.tobytes()) for c in (depth, rgb))
        cached = self._alignment
        if cached is None or cached[0] != key:
            cached = (key, camera_infos_differ(depth, rgb))
            self._alignment = cached
        if cached[1] is not None:
            self.problem("depth_not_registered", cached[1])

    def _output_intrinsics(
        self, info: Any | None, rgb_hw: tuple[int, ...]
    ) -> CameraIntrinsics | None:
        """The RGB intrinsics scaled to the output grid, or ``None`` (counted) when unusable."""
        if info is None:
            if self.require_camera_info:
                self.problem(
                    "missing_camera_info",
                    "no rgb/camera_info received yet: publishing depth_sr/image without "
                    "camera_info",
                )
            return None
        if (int(info.height), int(info.width)) != tuple(rgb_hw):
            self.problem(
                "camera_info_mismatch",
                f"rgb/camera_info is {info.width}x{info.height} but rgb/image is "
                f"{rgb_hw[1]}x{rgb_hw[0]}: not publishing depth_sr/camera_info",
            )
            return None
        intrinsics = intrinsics_of(info)
        if intrinsics is None:  # all-zero K: counted as zero_camera_info on receipt
            return None
        try:
            return self.pipeline.scale_camera_info(intrinsics)
        except ShapeError as err:
            self.problem("camera_info_mismatch", f"rgb/camera_info unusable: {err}")
            return None
