# SPDX-License-Identifier: Apache-2.0
"""Live bench: play a bag to a running node with rclpy and time its outputs end to end.

The bag's colour and depth images (and colour camera infos) are published as the serialized CDR
stored in the bag, at the recorded timing or at ``--rate``. The node's ``depth_sr/image`` carries
the colour image's header stamp, so each output is matched to the colour message it came from;
its latency is the receive time minus that message's publish time (monotonic clock, same
process). Reported like NVIDIA's ros2_benchmark: mean/max latency (and percentiles), output
rate, jitter of output inter-arrival times, and frames dropped (colour frames sent that produced
no output: the node keeps only the newest pair while it is busy).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bridgenet_ros.bench.bag_reader import BagSource
from bridgenet_ros.bench.stats import latency_summary, rate_and_jitter
from bridgenet_ros.bench.topics import CAMERA_INFO_TYPE, OUTPUT_SR_TOPIC, BagTopics
from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.stream.stamps import stamp_to_ns

__all__ = ["LiveOptions", "run_live_bench"]


@dataclass(frozen=True)
class LiveOptions:
    """Options of :func:`run_live_bench`.

    Attributes:
        topics: topics to play (``rgb``, ``depth`` and, when present, ``rgb_info``).
        rate_hz: colour frame rate to play at; ``None`` keeps the recorded timing.
        output_topic: the node's SR output topic.
        discovery_timeout_s: how long to wait for the node's subscriptions and publisher.
        drain_timeout_s: after the last message, wait this long without a new output (the wait
            ends at once when the last colour frame's output arrives).
        settle_s: pause after discovery so DDS finishes matching all endpoints.
    """

    topics: BagTopics = field(default_factory=BagTopics)
    rate_hz: float | None = None
    output_topic: str = OUTPUT_SR_TOPIC
    discovery_timeout_s: float = 20.0
    drain_timeout_s: float = 5.0
    settle_s: float = 0.5

    def __post_init__(self) -> None:
        if self.rate_hz is not None and not self.rate_hz > 0:
            raise ConfigError(f"--rate must be > 0 Hz, got {self.rate_hz}")
        if not self.discovery_timeout_s > 0 or not self.drain_timeout_s > 0:
            raise ConfigError("discovery and drain timeouts must be > 0 seconds")


#: how long to wait for the node's inputs to switch to reliable (its input_reliability auto)
INPUT_SWITCH_WAIT_S = 3.0


def _wait_reliable_readers(node: Any, topics: list[str], timeout_s: float) -> None:
    """Wait, at most ``timeout_s``, until every reader on ``topics`` is reliable.

    With ``input_reliability: auto`` the node re-creates its input subscriptions as reliable
    once it has seen our reliable publishers; frames sent before that switch could be lost. A
    node fixed to best effort never switches: then this only costs ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        infos = [i for t in topics for i in node.get_subscriptions_info_by_topic(t)]
        if infos and all(i.qos_profile.reliability.name == "RELIABLE" for i in infos):
            return
        time.sleep(0.05)


@dataclass
class _Item:
    role: str
    topic: str
    log_ns: int
    stamp_ns: int
    raw: bytes


def _load(bag: str | Path, topics: BagTopics) -> list[_Item]:
    """Read the messages to play into memory (so disk reads never delay publishing)."""
    with BagSource(bag, topics.rgb, topics.depth, None, include_other=True) as source:
        if source.is_ros1:
            raise DataError(
                f"bag {source.path} is a ROS 1 bag: --live publishes the stored CDR bytes and "
                "needs a rosbag2; use the offline bench (no --live), or convert it first with "
                "`rosbags-convert --src <bag> --dst <dir>`"
            )
        items = [
            _Item(m.role, m.topic, m.log_ns, m.stamp_ns, m.rawdata)
            for m in source
            if m.role in ("rgb", "depth")
            or (m.topic == topics.rgb_info and m.connection.msgtype == CAMERA_INFO_TYPE)
        ]
    return items


def _schedule(items: list[_Item], rate_hz: float | None) -> list[float]:
    """Send offsets (s): the recorded timing, or stretched to colour frames at ``rate_hz``."""
    first = items[0].log_ns
    offsets = [(it.log_ns - first) / 1e9 for it in items]
    if rate_hz is None:
        return offsets
    rgb = [it.log_ns for it in items if it.role == "rgb"]
    if len(rgb) < 2 or rgb[-1] == rgb[0]:
        return [i / rate_hz for i in range(len(items))]
    recorded_hz = (len(rgb) - 1) / ((rgb[-1] - rgb[0]) / 1e9)
    return [o * recorded_hz / rate_hz for o in offsets]


def _import_ros() -> SimpleNamespace:
    """The rclpy pieces the live bench uses.

    Raises:
        ConfigError: rclpy or sensor_msgs is not importable.
    """
    try:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
    except ImportError as err:
        raise ConfigError(
            f"--live needs rclpy and sensor_msgs ({err}); source a ROS 2 installation or "
            "`pip install -r requirements.txt` (ros-jazzy-rclpy wheels), or drop --live for the "
            "offline replay"
        ) from err
    return SimpleNamespace(
        rclpy=rclpy,
        Context=Context,
        SingleThreadedExecutor=SingleThreadedExecutor,
        QoSProfile=QoSProfile,
        ReliabilityPolicy=ReliabilityPolicy,
        CameraInfo=CameraInfo,
        Image=Image,
    )


class _Outputs:
    """The node's outputs as received: ``(header stamp ns, monotonic receive time)``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[int, float]] = []

    def on_output(self, msg: Any) -> None:
        now = time.monotonic()
        stamp_ns = stamp_to_ns(msg.header.stamp)
        with self.lock:
            self.received.append((stamp_ns, now))

    def counts(self, sent_ns: dict[int, float]) -> tuple[int, int]:
        """``(outputs received, outputs matching a sent colour stamp)``."""
        with self.lock:
            return len(self.received), sum(1 for s, _ in self.received if s in sent_ns)

    def has(self, stamp_ns: int | None) -> bool:
        """Whether an output stamped ``stamp_ns`` came."""
        with self.lock:
            return any(s == stamp_ns for s, _ in self.received)

    def by_time(self) -> list[tuple[int, float]]:
        with self.lock:
            return sorted(self.received, key=lambda sr: sr[1])


def _publishers(node: Any, ros: SimpleNamespace, items: list[_Item]) -> dict[str, Any]:
    """One reliable publisher per played topic (images, and colour camera infos)."""
    qos_in = ros.QoSProfile(depth=10, reliability=ros.ReliabilityPolicy.RELIABLE)
    pubs: dict[str, Any] = {}
    for it in items:
        if it.topic not in pubs:
            msg_type = ros.CameraInfo if it.role == "other" else ros.Image
            pubs[it.topic] = node.create_publisher(msg_type, it.topic, qos_in)
    return pubs


def _wait_for_node(node: Any, pubs: dict[str, Any], sub: Any, opts: LiveOptions) -> None:
    """Wait until a node subscribes to the colour and depth topics and publishes the output.

    Raises:
        DataError: nothing within ``opts.discovery_timeout_s`` (names the command to run).
    """
    deadline = time.monotonic() + opts.discovery_timeout_s
    needed = (pubs[opts.topics.rgb], pubs[opts.topics.depth])
    while not (
        all(p.get_subscription_count() > 0 for p in needed) and sub.get_publisher_count() > 0
    ):
        if time.monotonic() > deadline:
            raise DataError(
                f"no node subscribed to {opts.topics.rgb} and {opts.topics.depth} and "
                f"published {opts.output_topic} within {opts.discovery_timeout_s:g} s "
                f"(ROS_DOMAIN_ID must match). Start it first, e.g.: python -m "
                f"bridgenet_ros.ros.node --ros-args -r rgb/image:={opts.topics.rgb} -r "
                f"depth/image:={opts.topics.depth} -r "
                f"rgb/camera_info:={opts.topics.rgb_info}"
            )
        time.sleep(0.05)
    _wait_reliable_readers(node, [p.topic_name for p in needed], INPUT_SWITCH_WAIT_S)
    time.sleep(opts.settle_s)


def _play(items: list[_Item], offsets: list[float], pubs: dict[str, Any]) -> dict[int, float]:
    """Publish every item at its offset; returns colour stamp -> monotonic send time."""
    sent_ns: dict[int, float] = {}
    t0 = time.monotonic()
    for it, offset in zip(items, offsets):
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        pubs[it.topic].publish(it.raw)
        if it.role == "rgb":
            sent_ns[it.stamp_ns] = time.monotonic()
    return sent_ns


def _drain(outputs: _Outputs, sent_ns: dict[int, float], timeout_s: float) -> None:
    """Wait for the outputs of every sent frame, or of the last one, or ``timeout_s`` idle.

    The node answers in stamp order and keeps the newest pair while busy, so once the last
    colour frame's output is here, a frame still missing was dropped and will not come; a last
    frame that makes no output (e.g. no depth partner) ends the wait ``timeout_s`` after the
    last new output.
    """
    last_stamp = next(reversed(sent_ns), None)  # the colour frame sent last
    t_last = time.monotonic()
    n_seen = -1
    while True:
        n_now, matched = outputs.counts(sent_ns)
        if matched >= len(sent_ns) or outputs.has(last_stamp):
            return
        if n_now != n_seen:
            n_seen, t_last = n_now, time.monotonic()
        elif time.monotonic() - t_last > timeout_s:
            return
        time.sleep(0.02)


def _session(
    ros: SimpleNamespace, items: list[_Item], opts: LiveOptions
) -> tuple[dict[int, float], _Outputs, float]:
    """Start a private rclpy context, play ``items`` and collect outputs; always cleans up.

    Returns:
        ``(sent_ns, outputs, play_s)``.
    """
    offsets = _schedule(items, opts.rate_hz)
    context = ros.Context()
    ros.rclpy.init(context=context)
    node = ros.rclpy.create_node("bridgenet_bench_player", context=context)
    executor = ros.SingleThreadedExecutor(context=context)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, name="bench-spin", daemon=True)
    outputs = _Outputs()
    try:
        pubs = _publishers(node, ros, items)
        sub = node.create_subscription(
            ros.Image,
            opts.output_topic,
            outputs.on_output,
            ros.QoSProfile(depth=50, reliability=ros.ReliabilityPolicy.RELIABLE),
        )
        spinner.start()
        _wait_for_node(node, pubs, sub, opts)
        t0 = time.monotonic()
        sent_ns = _play(items, offsets, pubs)
        _drain(outputs, sent_ns, opts.drain_timeout_s)
        play_s = time.monotonic() - t0
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        if spinner.is_alive():
            spinner.join(timeout=5.0)
    return sent_ns, outputs, play_s


def run_live_bench(bag: str | Path, options: LiveOptions | None = None) -> dict[str, Any]:
    """Play ``bag`` to a running node and measure its outputs.

    Args:
        bag: the rosbag2 to play.
        options: topics, rate and timeouts.

    Returns:
        The live report dictionary (``mode: live``; latencies in ms).

    Raises:
        ConfigError: rclpy is not importable.
        DataError: bad bag, or no node subscribed/published within the discovery timeout (the
            message says how to start one).
    """
    ros = _import_ros()
    opts = options or LiveOptions()
    items = _load(bag, opts.topics)
    sent_ns, outputs, play_s = _session(ros, items, opts)
    return _live_report(bag, opts, len(items), sent_ns, outputs.by_time(), play_s)


def _live_report(
    bag: str | Path,
    opts: LiveOptions,
    n_items: int,
    sent_ns: dict[int, float],
    outputs: list[tuple[int, float]],
    play_s: float,
) -> dict[str, Any]:
    """The live report: latency of each sent colour frame's first output, rate, jitter, drops."""
    firsts: dict[int, float] = {}
    for stamp, t in outputs:
        firsts.setdefault(stamp, t)
    latencies = [(t - sent_ns[s]) * 1e3 for s, t in firsts.items() if s in sent_ns]
    arrivals = sorted(t for s, t in firsts.items() if s in sent_ns)
    flow = rate_and_jitter(arrivals)
    sent = len(sent_ns)
    got = len(latencies)
    rgb_times = sorted(sent_ns.values())
    input_rate = (
        (sent - 1) / (rgb_times[-1] - rgb_times[0])
        if sent > 1 and (rgb_times[-1] > rgb_times[0])
        else float("nan")
    )
    return {
        "mode": "live",
        "bag": str(bag),
        "output_topic": opts.output_topic,
        "sent_pairs": sent,
        "sent_messages": n_items,
        "received": got,
        "unmatched_outputs": len(firsts) - got,
        "dropped": sent - got,
        "drop_rate": (sent - got) / sent if sent else float("nan"),
        "input_rate_hz": input_rate,
        "output_rate_hz": flow["rate_hz"],
        "latency_ms": latency_summary(latencies),
        "jitter_ms": {
            "mean": flow["jitter_mean_ms"],
            "max": flow["jitter_max_ms"],
            "std": flow["jitter_std_ms"],
        },
        "play_s": play_s,
        "per_frame_latency_ms": latencies,
    }
