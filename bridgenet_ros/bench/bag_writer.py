# SPDX-License-Identifier: Apache-2.0
"""Write RGB-D frames as a rosbag2 recording that looks like a real RGB-D camera.

One :class:`BagFrame` becomes five messages: the colour image (``rgb8``) and its camera info at
the frame's stamp, the low-resolution depth (``16UC1`` millimetres, 0 = invalid; ``32FC1`` raw
values for unit-less sets) and its camera info a few milliseconds later (offset plus uniform
jitter, as two sensors triggered independently), and, when ground truth exists, the
full-resolution depth (``32FC1`` metres, NaN invalid) at the colour stamp. Storage is sqlite3
(the rosbag2 default) or MCAP, written by ``rosbags.rosbag2.Writer`` (bag format version 9,
Jazzy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal

import numpy as np

from bridgenet_ros.bench.messages import camera_info_msg, image_msg, serialize, typestore
from bridgenet_ros.bench.topics import CAMERA_INFO_TYPE, IMAGE_TYPE, BagTopics
from bridgenet_ros.errors import ConfigError, DataError, ShapeError

__all__ = ["BagFrame", "BagWriteOptions", "BagWriteSummary", "scale_intrinsics", "write_bag"]

Storage = Literal["sqlite3", "mcap"]

#: 2023-11-14T22:13:20Z: a fixed, realistic start time so generated bags are reproducible
DEFAULT_START_NS = 1_700_000_000_000_000_000


@dataclass(frozen=True)
class BagFrame:
    """One RGB-D frame to record.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 RGB.
        depth_lr: ``(h, w)`` float32 low-resolution depth in metres (raw values if unit-less).
        depth_hr: ``(H, W)`` float32 ground-truth depth, or ``None`` when there is none.
        k: ``(3, 3)`` intrinsics of the RGB grid in pixels.
    """

    rgb: np.ndarray
    depth_lr: np.ndarray
    depth_hr: np.ndarray | None
    k: np.ndarray


@dataclass(frozen=True)
class BagWriteOptions:
    """How frames are laid out in time and stored.

    Attributes:
        fps: frame rate of the colour stream (Hz).
        storage: ``sqlite3`` or ``mcap``.
        depth_offset_ms: mean delay of a depth stamp after its colour stamp.
        depth_jitter_ms: half-width of the uniform jitter added to each depth stamp.
        metric: depth is in metres (write ``16UC1`` mm); ``False`` writes raw ``32FC1`` values.
        seed: seed of the jitter.
        start_ns: stamp of the first colour frame.
        topics: topic names.
        rgb_frame_id: frame id of colour messages.
        depth_frame_id: frame id of depth messages.
    """

    fps: float = 30.0
    storage: Storage = "sqlite3"
    depth_offset_ms: float = 4.0
    depth_jitter_ms: float = 2.0
    metric: bool = True
    seed: int = 0
    start_ns: int = DEFAULT_START_NS
    topics: BagTopics = field(default_factory=BagTopics)
    rgb_frame_id: str = "camera_color_optical_frame"
    depth_frame_id: str = "camera_depth_optical_frame"

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ConfigError(f"fps must be > 0, got {self.fps}")
        if self.storage not in ("sqlite3", "mcap"):
            raise ConfigError(f"storage must be 'sqlite3' or 'mcap', got {self.storage!r}")
        if self.depth_jitter_ms < 0 or abs(self.depth_offset_ms) + self.depth_jitter_ms >= (
            500.0 / self.fps
        ):
            raise ConfigError(
                f"depth_offset_ms={self.depth_offset_ms} and depth_jitter_ms="
                f"{self.depth_jitter_ms} must keep depth stamps within half a frame period "
                f"({500.0 / self.fps:.1f} ms at {self.fps} Hz)"
            )


@dataclass(frozen=True)
class BagWriteSummary:
    """What :func:`write_bag` wrote."""

    path: Path
    storage: str
    frames: int
    messages: dict[str, int]
    rgb_hw: tuple[int, int]
    depth_hw: tuple[int, int]
    duration_s: float


def scale_intrinsics(
    k: np.ndarray, src_hw: tuple[int, int], dst_hw: tuple[int, int]
) -> np.ndarray:
    """Intrinsics of a resized image (pixel-centre convention, as image_proc's resize).

    Args:
        k: ``(3, 3)`` intrinsics of the ``src_hw`` grid.
        src_hw: source ``(H, W)``.
        dst_hw: destination ``(h, w)``.

    Returns:
        ``(3, 3)`` float64 intrinsics of the destination grid.
    """
    sy = dst_hw[0] / src_hw[0]
    sx = dst_hw[1] / src_hw[1]
    out = np.array(k, dtype=np.float64).reshape(3, 3).copy()
    out[0, 0] *= sx
    out[1, 1] *= sy
    out[0, 2] = (out[0, 2] + 0.5) * sx - 0.5
    out[1, 2] = (out[1, 2] + 0.5) * sy - 0.5
    return out


def _depth_to_mm(depth_m: np.ndarray) -> np.ndarray:
    """Metres to uint16 millimetres with 0 for invalid or out-of-range values."""
    mm = np.where(np.isfinite(depth_m) & (depth_m > 0), depth_m * 1000.0, 0.0)
    mm = np.rint(mm)
    mm[mm > 65535] = 0
    return mm.astype(np.uint16)


def _check_frame(index: int, frame: BagFrame) -> None:
    if frame.rgb.ndim != 3 or frame.rgb.shape[2] != 3 or frame.rgb.dtype != np.uint8:
        raise ShapeError(
            f"frame {index}: rgb must be (H, W, 3) uint8, got {frame.rgb.shape} {frame.rgb.dtype}"
        )
    if frame.depth_lr.ndim != 2:
        raise ShapeError(f"frame {index}: depth_lr must be (h, w), got {frame.depth_lr.shape}")
    if frame.depth_hr is not None and frame.depth_hr.shape != frame.rgb.shape[:2]:
        raise ShapeError(
            f"frame {index}: depth_hr {frame.depth_hr.shape} must match the rgb size "
            f"{frame.rgb.shape[:2]}"
        )


class _Recorder:
    """An open rosbag2 writer with the recording's connections; writes one frame at a time."""

    def __init__(self, path: Path, opts: BagWriteOptions) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer, WriterError

        plugin = StoragePlugin.MCAP if opts.storage == "mcap" else StoragePlugin.SQLITE3
        self.opts = opts
        self.ts = typestore()
        self.counts: dict[str, int] = {}
        try:
            self.writer = Writer(path, version=9, storage_plugin=plugin)
            self.writer.open()
        except (WriterError, OSError) as err:
            raise DataError(
                f"cannot create bag {path}: {type(err).__name__}: {err}; choose a writable path"
            ) from err
        topics = opts.topics
        self.conns = {
            name: self.writer.add_connection(topic, msgtype, typestore=self.ts)
            for name, topic, msgtype in (
                ("rgb", topics.rgb, IMAGE_TYPE),
                ("rgb_info", topics.rgb_info, CAMERA_INFO_TYPE),
                ("depth", topics.depth, IMAGE_TYPE),
                ("depth_info", topics.depth_info, CAMERA_INFO_TYPE),
            )
        }

    def put(self, name: str, topic: str, msg: object, msgtype: str, stamp_ns: int) -> None:
        """Serialize ``msg`` and write it on connection ``name`` at log time ``stamp_ns``."""
        if name not in self.conns:
            self.conns[name] = self.writer.add_connection(topic, msgtype, typestore=self.ts)
        self.writer.write(self.conns[name], stamp_ns, serialize(msg, msgtype))
        self.counts[topic] = self.counts.get(topic, 0) + 1

    def write_frame(self, frame: BagFrame, t_rgb: int, t_depth: int) -> None:
        """The five messages of one frame (ground truth only when the frame has it)."""
        opts, topics = self.opts, self.opts.topics
        rgb_hw = (int(frame.rgb.shape[0]), int(frame.rgb.shape[1]))
        depth_hw = (int(frame.depth_lr.shape[0]), int(frame.depth_lr.shape[1]))
        rgb_msg = image_msg(frame.rgb, "rgb8", t_rgb, opts.rgb_frame_id)
        self.put("rgb", topics.rgb, rgb_msg, IMAGE_TYPE, t_rgb)
        rgb_info = camera_info_msg(frame.k, *rgb_hw, t_rgb, opts.rgb_frame_id)
        self.put("rgb_info", topics.rgb_info, rgb_info, CAMERA_INFO_TYPE, t_rgb)
        if frame.depth_hr is not None:
            gt = np.where(
                np.isfinite(frame.depth_hr) & (frame.depth_hr > 0), frame.depth_hr, np.nan
            ).astype(np.float32)
            gt_msg = image_msg(gt, "32FC1", t_rgb, opts.rgb_frame_id)
            self.put("gt", topics.gt, gt_msg, IMAGE_TYPE, t_rgb)
        if opts.metric:
            depth = image_msg(_depth_to_mm(frame.depth_lr), "16UC1", t_depth, opts.depth_frame_id)
        else:
            lr = frame.depth_lr.astype(np.float32)
            depth = image_msg(lr, "32FC1", t_depth, opts.depth_frame_id)
        self.put("depth", topics.depth, depth, IMAGE_TYPE, t_depth)
        k_lr = scale_intrinsics(frame.k, rgb_hw, depth_hw)
        depth_info = camera_info_msg(k_lr, *depth_hw, t_depth, opts.depth_frame_id)
        self.put("depth_info", topics.depth_info, depth_info, CAMERA_INFO_TYPE, t_depth)

    def close(self) -> None:
        self.writer.close()


def write_bag(
    path: str | Path,
    frames: Iterable[BagFrame],
    options: BagWriteOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> BagWriteSummary:
    """Record ``frames`` into a new rosbag2 directory at ``path``.

    Args:
        path: output bag directory; must not exist yet (rosbag2 refuses to overwrite).
        frames: the frames, in time order.
        options: layout and storage; defaults to 30 Hz sqlite3.
        progress: called with the number of frames written so far after each frame.

    Returns:
        A :class:`BagWriteSummary`.

    Raises:
        DataError: if ``path`` exists or no frame was given.
        ShapeError: if a frame has the wrong shapes or dtypes.
    """
    opts = options or BagWriteOptions()
    path = Path(path)
    if path.exists():
        raise DataError(f"output bag {path} already exists: choose a new --out or delete it")
    rng = np.random.default_rng(opts.seed)
    period_ns = int(round(1e9 / opts.fps))
    rgb_hw: tuple[int, int] = (0, 0)
    depth_hw: tuple[int, int] = (0, 0)
    n = 0
    last_ns = opts.start_ns
    recorder = _Recorder(path, opts)
    try:
        for index, frame in enumerate(frames):
            _check_frame(index, frame)
            rgb_hw = (int(frame.rgb.shape[0]), int(frame.rgb.shape[1]))
            depth_hw = (int(frame.depth_lr.shape[0]), int(frame.depth_lr.shape[1]))
            t_rgb = opts.start_ns + index * period_ns
            jitter = rng.uniform(-opts.depth_jitter_ms, opts.depth_jitter_ms)
            t_depth = t_rgb + int(round((opts.depth_offset_ms + jitter) * 1e6))
            recorder.write_frame(frame, t_rgb, t_depth)
            last_ns = max(t_rgb, t_depth)
            n += 1
            if progress is not None:
                progress(n)
    finally:
        recorder.close()
    if n == 0:
        raise DataError(f"no frame to write into {path}: the data source is empty")
    return BagWriteSummary(
        path=path,
        storage=opts.storage,
        frames=n,
        messages=recorder.counts,
        rgb_hw=rgb_hw,
        depth_hw=depth_hw,
        duration_s=(last_ns - opts.start_ns) / 1e9,
    )
