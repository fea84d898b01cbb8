# SPDX-License-Identifier: Apache-2.0
r"""Input transport between two processes: pairs sent vs outputs, per QoS reliability.

Starts the node as a separate process (``python -m bridgenet_ros.ros.node``, real rclpy and
Fast DDS) with the given ``input_reliability``, publishes RGB + LR depth pairs from this process
with the given publisher reliability at a fixed rate (slower than the node's inference rate), and
counts the pairs that produced a ``depth_sr/image``. With ``input_reliability: auto`` the script
first waits until the node's subscriptions have switched to what the publishers offer (the switch
time is reported), then sends one warm-up pair at a time until one comes back, then the measured
pairs. :func:`measure_sequence` runs several such phases (one publisher kind each, the
publishers re-created per phase) against one node process: the node's ``auto`` subscriptions
follow each phase's publishers.

``test/ros/test_qos_process.py`` runs :func:`measure_sequence` with small numbers; the figures in
docs/performance.md come from the command line::

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_input_qos.py --publisher reliable \
        --input-reliability auto --pairs 60 --rate 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_to_ns

#: the node's namespace, unique per process so concurrent runs in one DDS domain stay apart
NAMESPACE = f"/qos_bench_{os.getpid()}"
#: the node's diagnostics period (s): its pairs counter is read from /diagnostics
DIAG_PERIOD_S = 0.25
#: seconds between warm-up pairs (the first inference is slow; best-effort pairs can be lost)
WARM_UP_INTERVAL_S = 0.25
#: a diagnostics message this long after the last pair sent has counted every pair that arrived
SETTLE_S = 0.3
#: bound of the wait for the outputs of the measured pairs (lost pairs never come back)
LAST_OUTPUTS_S = 3.0


class _Timeout(RuntimeError):
    """A wait ran out of time (the node process is still running)."""


@dataclass(frozen=True)
class TransportResult:
    """What one run measured.

    Attributes:
        publisher: reliability of this process's publishers.
        input_reliability: the node's parameter.
        node_reliability: the node's rgb/image subscription reliability seen before sending.
        switch_s: seconds from discovery to the node's subscriptions matching (auto), else 0.
        sent: measured pairs published.
        outputs: measured pairs whose depth_sr/image came back.
        node_pairs: pairs the node formed during the measurement (its /diagnostics counter).
        pipeline_ms: the node's pipeline p50 at the end (its /diagnostics), so the node's rate
            (1000 / pipeline_ms) can be compared with ``rate_hz``.
        rate_hz: pairs per second sent.
        warm_up_sent: warm-up pairs sent until the first output came back (1 when none was lost;
            :func:`measure_sequence` raises when none comes back within its ``timeout_s``).
    """

    publisher: str
    input_reliability: str
    node_reliability: str
    switch_s: float
    sent: int
    outputs: int
    node_pairs: int
    pipeline_ms: float
    rate_hz: float
    warm_up_sent: int

    @property
    def fraction(self) -> float:
        """Outputs / pairs sent."""
        return self.outputs / self.sent if self.sent else 0.0


def node_command(model_path: Path, backend: str, input_reliability: str, model_hw: int) -> list:
    """The node process's command line (namespace :data:`NAMESPACE`)."""
    params = {
        "model_path": str(model_path),
        "backend": backend,
        "input_reliability": input_reliability,
        "diagnostics_period": str(DIAG_PERIOD_S),
        "publish_mde": "false",
        "model_height": str(model_hw),
        "model_width": str(model_hw * 4 // 3),
    }
    args = [sys.executable, "-m", "bridgenet_ros.ros.node", "--ros-args", "-r"]
    args.append(f"__ns:={NAMESPACE}")
    for name, value in params.items():
        args += ["-p", f"{name}:={value}"]
    return args


def _wait(predicate: Callable[[], bool], timeout: float, what: str, proc: Any) -> float:
    """Poll ``predicate``; return the seconds it took.

    Raises:
        RuntimeError: the node process exited; :class:`_Timeout` (a RuntimeError) on timeout.
    """
    start = time.monotonic()
    while not predicate():
        if proc.poll() is not None:
            raise RuntimeError(f"the node process exited ({proc.returncode}) waiting for {what}")
        if time.monotonic() - start > timeout:
            raise _Timeout(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return time.monotonic() - start


class _Client:
    """This process's side: publishers of the inputs, subscriber of the outputs and diagnostics."""

    def __init__(self, rgb_hw: tuple[int, int], scale: int) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image

        from bridgenet_ros.stream.codec import array_to_image_fields

        self.context = Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(
            "qos_bench_client", namespace=NAMESPACE, context=self.context
        )
        self.pub_rgb: Any = None
        self.pub_depth: Any = None
        self.lock = threading.Lock()
        self.arrived: set[int] = set()
        self.node_pairs = 0
        self.diag_at = 0.0  # monotonic receipt time of the last diagnostics message
        self.pipeline_ms = float("nan")
        out_qos = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Image, "depth_sr/image", self._on_output, out_qos)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self.spinner.start()
        rng = np.random.default_rng(0)
        rgb = rng.integers(0, 255, (*rgb_hw, 3), np.uint8)
        lr_hw = (rgb_hw[0] // scale, rgb_hw[1] // scale)
        depth = np.tile(np.linspace(0.8, 4.0, lr_hw[1], dtype=np.float32), (lr_hw[0], 1))
        self._fields = (array_to_image_fields(rgb, "rgb8"), array_to_image_fields(depth, "32FC1"))
        self._image_type = Image

    def publish_as(self, publisher: str) -> None:
        """(Re-)create the input publishers with ``publisher`` reliability (KEEP_LAST 5)."""
        from rclpy.qos import QoSProfile, ReliabilityPolicy

        for old in (self.pub_rgb, self.pub_depth):
            if old is not None:
                self.node.destroy_publisher(old)
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy[publisher.upper()])
        self.pub_rgb = self.node.create_publisher(self._image_type, "rgb/image", qos)
        self.pub_depth = self.node.create_publisher(self._image_type, "depth/image", qos)

    def _on_output(self, msg: Any) -> None:
        with self.lock:
            self.arrived.add(stamp_to_ns(msg.header.stamp))

    def _on_diag(self, msg: Any) -> None:
        for status in msg.status:
            if status.name.startswith(NAMESPACE.strip("/")):
                values = {kv.key: kv.value for kv in status.values}
                with self.lock:
                    self.node_pairs = int(values.get("pairs", "0"))
                    self.pipeline_ms = float(values.get("pipeline p50 (ms)", "nan"))
                    self.diag_at = time.monotonic()

    def _message(self, fields: Any, stamp_ns: int) -> Any:
        msg = self._image_type()
        msg.header.stamp.sec, msg.header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
        msg.header.frame_id = "camera_color_optical_frame"
        msg.height, msg.width, msg.encoding = fields.height, fields.width, fields.encoding
        msg.is_bigendian, msg.step, msg.data = fields.is_bigendian, fields.step, fields.data
        return msg

    def send(self) -> int:
        """Publish one pair stamped now; return the stamp (ns)."""
        stamp = int(self.node.get_clock().now().nanoseconds)
        self.pub_rgb.publish(self._message(self._fields[0], stamp))
        self.pub_depth.publish(self._message(self._fields[1], stamp))
        return stamp

    def came_back(self, stamps: list[int]) -> int:
        """How many of ``stamps`` produced a depth_sr/image."""
        with self.lock:
            return sum(1 for s in stamps if s in self.arrived)

    def connected(self) -> bool:
        """The node matched both input publishers and publishes depth_sr/image."""
        return (
            self.pub_rgb.get_subscription_count() > 0
            and self.pub_depth.get_subscription_count() > 0
            and self.node.count_publishers("depth_sr/image") > 0
        )

    def node_reliability(self) -> str:
        """Reliability of the node's rgb/image subscription as this process sees it."""
        infos = self.node.get_subscriptions_info_by_topic(f"{NAMESPACE}/rgb/image")
        names = {
            i.qos_profile.reliability.name.lower() for i in infos if i.node_name == "bridgenet"
        }
        return names.pop() if len(names) == 1 else ""

    def close(self) -> None:
        """Stop spinning, destroy the node, shut the context down."""
        self.executor.shutdown(timeout_sec=2.0)
        self.spinner.join(5.0)
        self.node.destroy_node()
        self.context.try_shutdown()


def _warm_up(client: _Client, proc: Any, timeout_s: float) -> int:
    """Send one pair every :data:`WARM_UP_INTERVAL_S` until one comes back; return pairs sent."""
    warm: list[int] = []
    last = [0.0]

    def warmed() -> bool:
        if client.came_back(warm):
            return True
        if time.monotonic() - last[0] > WARM_UP_INTERVAL_S:
            warm.append(client.send())
            last[0] = time.monotonic()
        return False

    _wait(warmed, timeout_s, "a warm-up pair to come back", proc)
    return len(warm)


def _node_pairs_after(client: _Client, after: float, proc: Any) -> int:
    """The node's pairs counter from the first diagnostics message received after ``after``."""

    def seen() -> bool:
        with client.lock:
            return client.diag_at > after

    _wait(seen, 10 * DIAG_PERIOD_S + 5.0, "a diagnostics message", proc)
    with client.lock:
        return client.node_pairs


def _send_and_count(client: _Client, pairs: int, rate_hz: float, proc: Any) -> tuple[int, int]:
    """Send ``pairs`` pairs at ``rate_hz``; return (outputs, pairs the node formed).

    The node's counter is read before (once it has counted the warm-up) and after; the wait for
    the outputs ends when every pair came back, or when a diagnostics message sent after the
    last pair shows that every pair the node formed came back (the rest were lost on the way),
    or after :data:`LAST_OUTPUTS_S`.
    """
    pairs_before = _node_pairs_after(client, time.monotonic() + SETTLE_S, proc)
    sent: list[int] = []
    start = time.monotonic()
    for k in range(pairs):
        time.sleep(max(0.0, start + k / rate_hz - time.monotonic()))
        sent.append(client.send())
    settled = time.monotonic() + SETTLE_S

    def all_formed_came_back() -> bool:
        back = client.came_back(sent)
        with client.lock:
            counted = client.diag_at > settled and back >= client.node_pairs - pairs_before
        return back == len(sent) or counted

    try:
        _wait(all_formed_came_back, LAST_OUTPUTS_S, "the last outputs", proc)
    except _Timeout:
        pass  # the count says how many came back
    outputs = client.came_back(sent)
    # a diagnostics message sent after the outputs counted above
    pairs_after = _node_pairs_after(client, max(time.monotonic(), settled), proc)
    return outputs, pairs_after - pairs_before


def _phase(
    client: _Client, proc: Any, publisher: str, pairs: int, opts: dict[str, Any]
) -> TransportResult:
    """New ``publisher`` publishers: the node's switch, a warm-up, then ``pairs`` measured."""
    client.publish_as(publisher)
    mode = opts["input_reliability"]
    expected = publisher if mode == "auto" else mode
    timeout_s = opts["timeout_s"]
    _wait(client.connected, timeout_s, "the node process to come up", proc)
    switch_s = _wait(
        lambda: client.node_reliability() == expected and client.connected(),
        timeout_s,
        f"the node's inputs to become {expected}",
        proc,
    )
    warm_up_sent = _warm_up(client, proc, timeout_s)
    outputs, node_pairs = _send_and_count(client, pairs, opts["rate_hz"], proc)
    return TransportResult(
        publisher=publisher,
        input_reliability=opts["input_reliability"],
        node_reliability=client.node_reliability(),
        switch_s=round(switch_s, 3),
        sent=pairs,
        outputs=outputs,
        node_pairs=node_pairs,
        pipeline_ms=client.pipeline_ms,
        rate_hz=opts["rate_hz"],
        warm_up_sent=warm_up_sent,
    )


def measure_sequence(
    model_path: Path,
    phases: Sequence[tuple[str, int]],
    *,
    input_reliability: str = "auto",
    rate_hz: float = 4.0,
    rgb_hw: tuple[int, int] = (480, 640),
    scale: int = 4,
    backend: str = "torch",
    model_hw: int = 120,
    timeout_s: float = 60.0,
) -> list[TransportResult]:
    """Run the node in a second process and count the pairs that come back, phase by phase.

    Args:
        model_path: model for the node (the ``test`` variant is enough).
        phases: ``(publisher, pairs)`` in order: this process's publishers (KEEP_LAST 5),
            ``reliable`` or ``best_effort``, and the measured pairs (after a warm-up). Each phase
            re-creates the publishers; with ``auto`` the node keeps its subscription reliability
            until a phase's publishers call for the other (that phase's ``switch_s``).
        input_reliability: the node's ``input_reliability`` parameter.
        rate_hz: pairs per second; keep it below the node's inference rate.
        rgb_hw: RGB size (rgb8); the depth (32FC1 metres) is ``scale`` times smaller.
        scale: RGB / depth size ratio.
        backend: the node's backend.
        model_hw: network input height (width = 4/3 of it), so inference stays cheap.
        timeout_s: bound of each wait (start-up, switch, warm-up).

    Returns:
        One :class:`TransportResult` per phase.

    Raises:
        RuntimeError: the node did not come up, switch or answer the warm-up in time (with the
            tail of the node's log).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    command = node_command(model_path, backend, input_reliability, model_hw)
    log = tempfile.TemporaryFile(mode="w+")  # a pipe nobody reads could fill and block the node
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
    opts = {
        "rgb_hw": rgb_hw,
        "scale": scale,
        "rate_hz": rate_hz,
        "timeout_s": timeout_s,
        "input_reliability": input_reliability,
    }
    client = _Client(rgb_hw, scale)
    try:
        return [_phase(client, proc, pub, pairs, opts) for pub, pairs in phases]
    except RuntimeError as err:
        log.seek(0)
        raise RuntimeError(f"{err}; node log tail:\n{log.read()[-3000:]}") from err
    finally:
        client.close()
        _stop(proc)
        log.close()


def _stop(proc: Any) -> None:
    """SIGINT the node process (kill it when it does not end within 20 s)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def measure(
    model_path: Path,
    *,
    publisher: str = "reliable",
    input_reliability: str = "auto",
    pairs: int = 30,
    rate_hz: float = 4.0,
    rgb_hw: tuple[int, int] = (480, 640),
    scale: int = 4,
    backend: str = "torch",
    model_hw: int = 120,
    timeout_s: float = 60.0,
) -> TransportResult:
    """:func:`measure_sequence` with one phase: ``pairs`` pairs from ``publisher`` publishers."""
    return measure_sequence(
        model_path,
        [(publisher, pairs)],
        input_reliability=input_reliability,
        rate_hz=rate_hz,
        rgb_hw=rgb_hw,
        scale=scale,
        backend=backend,
        model_hw=model_hw,
        timeout_s=timeout_s,
    )[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publisher", default="reliable", choices=["reliable", "best_effort"])
    parser.add_argument(
        "--input-reliability", default="auto", choices=["auto", "reliable", "best_effort"]
    )
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0, help="pairs per second")
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--model", type=Path, default=None, help="default: random `test` model")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure once and print the result as JSON."""
    args = parse_args(argv)
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(101, 200)))
    with tempfile.TemporaryDirectory(prefix="bench_qos_") as tmp:
        model = args.model
        if model is None:
            from bridgenet_ros.model import create_model, save_checkpoint

            model = save_checkpoint(Path(tmp) / "test.pt", create_model("test"), {"bench": "qos"})
        try:
            result = measure(
                model,
                publisher=args.publisher,
                input_reliability=args.input_reliability,
                pairs=args.pairs,
                rate_hz=args.rate,
                rgb_hw=(args.height, args.width),
            )
        except RuntimeError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    print(json.dumps({**asdict(result), "fraction": round(result.fraction, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
