# SPDX-License-Identifier: Apache-2.0
"""A small diagnostics updater, so the node needs only ``diagnostic_msgs``.

``diagnostic_updater`` has no Python release outside a ROS installation (no PyPI wheel), and the
node also runs with rclpy from pip; this module covers what the node needs of it.

The node keeps :class:`RateMeter` and :class:`WindowStats` counters, :func:`summarize` turns them
into a level, a message and key/value pairs (pure Python, testable without ROS), and
:func:`to_diagnostic_array` builds the ``diagnostic_msgs/DiagnosticArray`` published on
``/diagnostics`` (diagnostic_msgs is imported lazily there).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

__all__ = [
    "ERROR",
    "OK",
    "STALE",
    "WARN",
    "DiagnosticSummary",
    "NODE_STAGES",
    "RateMeter",
    "StageStats",
    "WindowStats",
    "summarize",
    "to_diagnostic_array",
]

# Levels of diagnostic_msgs/DiagnosticStatus (bytes in the message).
OK, WARN, ERROR, STALE = 0, 1, 2, 3


class RateMeter:
    """Event rate over a sliding time window (thread-safe).

    Args:
        window_s: length of the window in seconds.
    """

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.total = 0

    def tick(self, now: float | None = None) -> None:
        """Record one event at ``now`` (``time.monotonic()`` by default)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._times.append(now)
            self.total += 1
            self._expire(now)

    def rate(self, now: float | None = None) -> float:
        """Events per second over the window (0 with fewer than two events)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _expire(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()


class WindowStats:
    """Percentiles of the last ``size`` samples (thread-safe).

    Args:
        size: samples kept.
    """

    def __init__(self, size: int = 200) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        """Record one sample."""
        with self._lock:
            self._values.append(float(value))

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0..100) of the kept samples, NaN when there are none."""
        with self._lock:
            if not self._values:
                return float("nan")
            return float(np.percentile(np.fromiter(self._values, dtype=np.float64), q))

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


#: the node's per-frame stages, in order (:class:`StageStats` names; milliseconds):
#: ``wait`` receipt of the pair's completing message -> the inference thread starts on it;
#: ``decode`` ... ``encode`` the stream's stages; ``publish`` building and publishing the
#: messages; ``other`` the rest of the node latency (bookkeeping).
NODE_STAGES = (
    "wait",
    "decode",
    "register",
    "preprocess",
    "inference",
    "postprocess",
    "encode",
    "publish",
    "other",
)


class StageStats:
    """:class:`WindowStats` of each per-frame stage and of the node latency / inference ratio.

    Args:
        names: the stage names (e.g. :data:`NODE_STAGES`).
        size: samples kept per stage.
    """

    def __init__(self, names: tuple[str, ...], size: int = 200) -> None:
        self.names = names
        self.stages = {name: WindowStats(size) for name in names}
        #: per-frame node latency / inference time (frames that ran the network)
        self.ratio = WindowStats(size)

    def add(self, stages_ms: Mapping[str, float], latency_ms: float) -> None:
        """Record one frame: its stage times (unknown names ignored) and its node latency."""
        for name, value in stages_ms.items():
            stats = self.stages.get(name)
            if stats is not None:
                stats.add(value)
        inference = stages_ms.get("inference", 0.0)
        if inference > 0:
            self.ratio.add(latency_ms / inference)

    def values(self) -> list[tuple[str, str]]:
        """``("<stage> p50 (ms)", value)`` per stage that has samples, then the ratio's p50."""
        out = [
            (f"{name} p50 (ms)", _fmt(stats.percentile(50), 2))
            for name, stats in self.stages.items()
            if len(stats)
        ]
        out.append(("latency / inference p50", _fmt(self.ratio.percentile(50), 3)))
        return out


@dataclass
class DiagnosticSummary:
    """One diagnostic status: level (:data:`OK` ... :data:`STALE`), message and key/values."""

    level: int
    message: str
    values: list[tuple[str, str]] = field(default_factory=list)


def _fmt(value: float, digits: int = 1) -> str:
    return "nan" if value != value else f"{value:.{digits}f}"


def summarize(
    *,
    rgb_rate: float,
    depth_rate: float,
    output_rate: float,
    latency_ms: WindowStats,
    stamp_age_ms: WindowStats | None = None,
    inference_ms: WindowStats,
    pipeline_ms: WindowStats,
    counters: Mapping[str, int],
    backend: str,
    model: str,
    new_outputs: int,
    new_inputs: int,
    new_problems: int,
    stages: StageStats | None = None,
    align_offset_px: tuple[float, float] | None = None,
) -> DiagnosticSummary:
    """Build the node's diagnostic status.

    Level: ERROR when inputs arrive but nothing came out during the last period, WARN when no
    input arrived or bad inputs were counted in the last period, OK otherwise.

    Args:
        rgb_rate: RGB messages per second.
        depth_rate: depth messages per second.
        output_rate: ``depth_sr`` messages per second.
        latency_ms: node latencies: receipt of the message completing a pair -> publish, on the
            monotonic clock (what the node adds).
        stamp_age_ms: node clock now - header stamp at publish (transport + node; meaningful
            only when the sender's clock and ours agree, or both follow ``/clock``).
        inference_ms: backend inference times.
        pipeline_ms: whole pipeline times (pre-processing + inference + post-processing).
        counters: drop and problem counters since start-up (name -> count).
        backend: backend name.
        model: model file.
        new_outputs: outputs published during the last period.
        new_inputs: input messages received during the last period.
        new_problems: bad inputs and failures counted during the last period.
        stages: per-stage times and the per-frame latency / inference ratio (their p50s are
            added after ``pipeline p50 (ms)``).
        align_offset_px: with ``align_depth: auto``, the last frame's applied shift of the
            depth onto the RGB (``(dy, dx)`` RGB pixels), shown as ``align offset (px)``.
    """
    if new_inputs == 0:
        level, message = WARN, "no input received"
    elif new_outputs == 0:
        level, message = ERROR, "inputs received but no output published"
        gap_ms = counters.get("pairing_nearest_gap_ms", -1)
        if counters.get("no_partner_in_slop", 0) and gap_ms >= 0:
            message += f" (nearest RGB/depth stamp gap {gap_ms} ms: beyond sync_slop?)"
    elif new_problems:
        level, message = WARN, f"{new_problems} bad input(s) or failure(s) in the last period"
    else:
        level, message = OK, "running"
    values = [
        ("rgb rate (Hz)", _fmt(rgb_rate)),
        ("depth rate (Hz)", _fmt(depth_rate)),
        ("output rate (Hz)", _fmt(output_rate)),
        ("latency p50 (ms)", _fmt(latency_ms.percentile(50))),
        ("latency p95 (ms)", _fmt(latency_ms.percentile(95))),
        ("stamp age p50 (ms)", _fmt(stamp_age_ms.percentile(50) if stamp_age_ms else math.nan)),
        ("stamp age p95 (ms)", _fmt(stamp_age_ms.percentile(95) if stamp_age_ms else math.nan)),
        ("inference p50 (ms)", _fmt(inference_ms.percentile(50))),
        ("inference p95 (ms)", _fmt(inference_ms.percentile(95))),
        ("pipeline p50 (ms)", _fmt(pipeline_ms.percentile(50))),
        *(stages.values() if stages is not None else []),
        *(
            [("align offset (px)", f"{align_offset_px[0]:.1f}, {align_offset_px[1]:.1f}")]
            if align_offset_px is not None
            else []
        ),
        ("backend", backend),
        ("model", model),
    ]
    values.extend((name, str(count)) for name, count in sorted(counters.items()))
    return DiagnosticSummary(level=level, message=message, values=values)


def to_diagnostic_array(
    summary: DiagnosticSummary, *, name: str, hardware_id: str, stamp: Any
) -> Any:
    """Build a ``diagnostic_msgs/DiagnosticArray`` with one status.

    Args:
        summary: from :func:`summarize`.
        name: status name (conventionally ``<node name>: <what>``).
        hardware_id: the hardware the status refers to (backend/device).
        stamp: ``builtin_interfaces/Time`` of the header.
    """
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

    status = DiagnosticStatus(
        level=bytes([summary.level]),
        name=name,
        message=summary.message,
        hardware_id=hardware_id,
        values=[KeyValue(key=key, value=value) for key, value in summary.values],
    )
    array = DiagnosticArray(status=[status])
    array.header.stamp = stamp
    return array
