# SPDX-License-Identifier: Apache-2.0
"""Benchmarking a real recording: self-down-sampled LR, region scores, registration from the bag.

A real RGB-D recording (a RealSense or OAK-D with depth aligned to the colour camera) has no
ground truth, but its full-resolution depth can be its own reference, as in
``bridgenet eval --real-sensor`` (:mod:`bridgenet_ros.eval.real_sensor`):

- :class:`SelfDownsampler` is the replay's depth step (the :class:`FrameStream` registration
  hook, applied to the decoded depth before the pipeline): it keeps the decoded depth as the
  frame's reference and hands the pipeline
  :func:`~bridgenet_ros.eval.real_sensor.self_downsample` of it (hole-aware, invalid = 0);
- :class:`RegionScorer` scores the model's ``depth_sr`` and the pipeline's own bicubic
  up-sampling (``depth_lr_up``) against that reference with the protocol's one per-frame step,
  :func:`~bridgenet_ros.eval.real_sensor.score_frame` (overall, ``flat``, ``edge``; same crop
  and pixels as eval), and keeps the running :class:`~bridgenet_ros.eval.real_sensor.RegionScores`.

:func:`bag_registrar` builds the stream's :class:`~bridgenet_ros.stream.registration.
DepthRegistrar` for unaligned depth from the bag's first colour camera_info and a depth->colour
extrinsic.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.eval.real_sensor import DownsampleFilter, RegionScores, score_frame
from bridgenet_ros.eval.regions import RegionConfig
from bridgenet_ros.runtime.camera import CameraIntrinsics
from bridgenet_ros.runtime.normalize import valid_mask
from bridgenet_ros.runtime.resize import lr_size_for_scale

if TYPE_CHECKING:
    from bridgenet_ros.bench.topics import BagTopics
    from bridgenet_ros.stream.extrinsic import Extrinsic
    from bridgenet_ros.stream.registration import DepthRegistrar

__all__ = ["MODEL_METHOD", "RegionScorer", "SelfDownsampler", "bag_registrar"]

#: the model's name in the region scores (the pipeline's bicubic is ``bicubic``)
MODEL_METHOD = "bridgenet"


class SelfDownsampler:
    """The replay's depth step for a real recording: return the LR version of the depth.

    Called by :class:`~bridgenet_ros.stream.frame_stream.FrameStream` as its depth hook
    (``(depth_m, depth_intrinsics) -> depth_lr_m``) on each decoded depth image, right before
    the pipeline; the full-resolution reference comes back as ``FrameOutput.depth_decoded``.

    Args:
        scale: down-sampling factor >= 1 (may be non-integer).
        method: the filter of :func:`~bridgenet_ros.eval.real_sensor.self_downsample`.

    Raises:
        ConfigError: ``scale`` < 1 or not finite, unknown ``method``.
    """

    def __init__(self, scale: float, method: DownsampleFilter = "bicubic") -> None:
        if not (np.isfinite(scale) and scale >= 1.0):
            raise ConfigError(f"--downsample must be a finite factor >= 1, got {scale}")
        if method not in ("bicubic", "box"):
            raise ConfigError(f"unknown down-sampling filter {method!r}; use bicubic or box")
        self.scale = float(scale)
        self.method: DownsampleFilter = method

    def __call__(self, depth_m: np.ndarray, depth_info: CameraIntrinsics | None) -> np.ndarray:
        """``self_downsample(depth_m)``; all zeros (all invalid) when no pixel is valid."""
        from bridgenet_ros.eval.real_sensor import self_downsample

        if not valid_mask(depth_m).any():  # the pipeline counts it as all_invalid_depth
            h, w = lr_size_for_scale(depth_m.shape[0], depth_m.shape[1], self.scale)
            return np.zeros((h, w), dtype=np.float32)
        return self_downsample(depth_m, self.scale, method=self.method)


class RegionScorer:
    """Scores each frame against its own full-resolution depth, overall / flat / edge.

    Args:
        scale: the down-sampling factor (sets the regions' edge band and flat margin).
        crop: border crop in pixels (``bridgenet eval``'s ``--crop``).
        skipped: the replay's skip counter (``reference_size_mismatch``,
            ``reference_no_valid_pixel``).
        config: region thresholds (default: the documented ones, as ``eval --real-sensor``).
    """

    def __init__(
        self,
        scale: float,
        crop: int,
        skipped: Counter[str],
        config: RegionConfig | None = None,
    ) -> None:
        if crop < 0:
            raise ConfigError(f"--crop must be >= 0 pixels, got {crop}")
        self.scale = scale
        self.crop = crop
        self.skipped = skipped
        self.config = config or RegionConfig()
        self.scores = RegionScores()

    def score(
        self, sr: np.ndarray, up: np.ndarray, reference: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Score ``sr`` (the model) and ``up`` (bicubic) against ``reference``.

        Returns:
            ``(model, bicubic)`` overall ``{"rmse", "mae", "n"}`` (metres), or ``None`` when
            the frame cannot be scored (counted in ``skipped``).
        """
        if reference.shape != sr.shape:
            self.skipped["reference_size_mismatch"] += 1
            return None
        if not valid_mask(reference).any():
            self.skipped["reference_no_valid_pixel"] += 1
            return None
        preds = {MODEL_METHOD: sr, "bicubic": up}
        common = np.isfinite(sr) & np.isfinite(up)
        entry = score_frame(
            self.scores,
            preds,
            reference,
            self.scale,
            crop=self.crop,
            common=common,
            config=self.config,
        )
        overall = entry["overall"]
        if overall[MODEL_METHOD]["n"] == 0:  # counted by RegionScores as an empty image
            self.skipped["reference_no_valid_pixel"] += 1
            return None
        return overall[MODEL_METHOD], overall["bicubic"]

    def summary(self) -> dict[str, dict[str, object]]:
        """:meth:`RegionScores.summary` with ratios to ``bicubic``."""
        return self.scores.summary("bicubic")


def first_camera_info(bag: str | Path, topics: BagTopics) -> tuple[Any, bool]:
    """The bag's first colour camera_info message, and whether it has a depth camera_info.

    Raises:
        DataError: the bag has no colour camera_info on ``topics.rgb_info``.
    """
    from bridgenet_ros.bench.bag_reader import BagSource

    with BagSource(
        bag,
        topics.rgb,
        topics.depth,
        None,
        rgb_info_topic=topics.rgb_info,
        depth_info_topic=topics.depth_info,
    ) as source:
        has_depth_info = "depth_info" in source.roles.values()
        if source.has_rgb_info:
            for msg in source:
                if msg.role == "rgb_info":
                    return msg.message, has_depth_info
    raise DataError(
        f"bag {bag}: no colour camera_info on {topics.rgb_info}: --register needs the colour "
        "camera's intrinsics; pass --rgb-info-topic"
    )


def bag_registrar(bag: str | Path, topics: BagTopics, extrinsic: Extrinsic) -> DepthRegistrar:
    """The stream's registrar for an unaligned recording.

    Args:
        bag: the recording.
        topics: its topics (``rgb_info`` and ``depth_info`` are needed).
        extrinsic: depth optical frame -> colour optical frame.

    Returns:
        A :class:`DepthRegistrar` on the bag's first colour camera_info (the LR grid chosen
        per frame from the depth camera_info, as the node does).

    Raises:
        DataError: no colour or no depth camera_info topic, or an unusable colour camera_info.
    """
    from bridgenet_ros.stream.frame_stream import intrinsics_of
    from bridgenet_ros.stream.registration import DepthRegistrar

    info, has_depth_info = first_camera_info(bag, topics)
    if not has_depth_info:
        raise DataError(
            f"bag {bag}: no depth camera_info on {topics.depth_info}: --register needs the "
            "depth camera's intrinsics; pass --depth-info-topic"
        )
    rgb = intrinsics_of(info)
    if rgb is None:
        raise DataError(
            f"bag {bag}: the colour camera_info on {topics.rgb_info} is unusable (zero size or "
            "all-zero K): registration needs a calibrated colour camera"
        )
    return DepthRegistrar(rgb, extrinsic)
