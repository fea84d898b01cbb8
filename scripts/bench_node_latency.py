# SPDX-License-Identifier: Apache-2.0
"""End-to-end latency of the bridgenet node (publish -> receive) vs its inference time.

Starts the node as a separate process (``python -m bridgenet_ros.ros.node``) on ``--model`` or
a model with random weights, publishes RGB + LR depth pairs stamped "now" from this process,
and times each ``depth_sr/image`` on arrival (stamp -> receive, the same clock). Pairs are sent
closed-loop (the next one after the previous output) so no frame waits in a queue. The node's own
``/diagnostics`` give the backend inference time and the whole pipeline time of the same frames.

Goal (issue 14): the node latency (receipt of the pair's completing message -> depth published,
measured by the node) <= 1.05 x the inference time of the same frame (per-frame ratio, p50).
The node's per-stage p50s (``/diagnostics``) break the overhead down; ``--runs`` repeats the
measurement with a fresh node and prints the medians.

Example::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/bench_node_latency.py \
        --model models/bridgenet_lite.onnx --height 480 --width 640 --frames 15 --runs 3

The node runs with the project's own process settings (``main()``: one BLAS thread, glibc
malloc thresholds); ``--param name:=value`` passes further node parameters.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bridgenet_ros.ros.diagnostics import NODE_STAGES
from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_to_ns


def build_model(variant: str, backend: str, hw: tuple[int, int], folder: Path) -> Path:
    """Write a random-weight ``variant`` as ``.pt`` (torch) or fixed-size ``.onnx``."""
    from bridgenet_ros.model import create_model, save_checkpoint

    model = create_model(variant).eval()
    if backend == "torch":
        return save_checkpoint(folder / f"bridgenet_{variant}.pt", model, {"bench": "random"})
    from bridgenet_ros.export.onnx_export import export_onnx

    path = folder / f"bridgenet_{variant}.onnx"
    export_onnx(model, path, input_hw=hw, check=False)
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="lite")
    parser.add_argument("--backend", default="onnxruntime", choices=["onnxruntime", "torch"])
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--scale", type=int, default=4, help="RGB / depth size ratio")
    parser.add_argument("--frames", type=int, default=15, help="measured frames")
    parser.add_argument("--warmup", type=int, default=3, help="frames not measured")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between frames")
    parser.add_argument("--model", type=Path, default=None, help="use this model file")
    parser.add_argument("--runs", type=int, default=1, help="runs, each with a fresh node")
    parser.add_argument(
        "--param", action="append", default=[], help="extra node parameter name:=value"
    )
    return parser.parse_args(argv)


def node_command(model_path: Path, backend: str, params: Sequence[str] = ()) -> list[str]:
    """Command line that starts the node under ``/bench`` on ``model_path``.

    ``params`` are extra ``name:=value`` node parameters.
    """
    extra = [arg for param in params for arg in ("-p", param)]
    return [
        sys.executable,
        "-m",
        "bridgenet_ros.ros.node",
        "--ros-args",
        "-r",
        "__ns:=/bench",
        "-p",
        f"model_path:={model_path}",
        "-p",
        f"backend:={backend}",
        "-p",
        "diagnostics_period:=0.5",
        "-p",
        "publish_mde:=false",
        # Large best-effort samples can be lost under load; a lost frame would stall this
        # closed loop, so the bench asks the node (QoS override) for reliable inputs.
        "-p",
        "qos_overrides./bench/rgb/image.subscription.reliability:=reliable",
        "-p",
        "qos_overrides./bench/depth/image.subscription.reliability:=reliable",
        *extra,
    ]


def input_fields(args: argparse.Namespace) -> tuple[Any, Any, tuple[int, int]]:
    """Fixed RGB and LR depth (``rgb8``, ``16UC1`` mm) image fields and the LR ``(h, w)``."""
    from bridgenet_ros.stream.codec import array_to_image_fields

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (args.height, args.width, 3), dtype=np.uint8)
    lr_hw = (args.height // args.scale, args.width // args.scale)
    depth_mm = np.tile(np.linspace(800, 4000, lr_hw[1]).astype(np.uint16), (lr_hw[0], 1))
    return array_to_image_fields(rgb, "rgb8"), array_to_image_fields(depth_mm, "16UC1"), lr_hw


class BenchClient:
    """The measuring node: publishes the inputs, records output arrivals and diagnostics.

    Spins in a daemon thread from construction until :meth:`close`.
    """

    def __init__(self) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image

        rclpy.init()
        self.node = rclpy.create_node("bench_client", namespace="/bench")
        reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_rgb = self.node.create_publisher(Image, "rgb/image", reliable)
        self.pub_depth = self.node.create_publisher(Image, "depth/image", reliable)
        self._image_type = Image
        #: output stamp (ns) -> arrival time (ns, the node clock)
        self.arrivals: dict[int, int] = {}
        self.diagnostics: list[dict[str, str]] = []
        self.cond = threading.Condition()
        self.node.create_subscription(Image, "depth_sr/image", self._on_output, reliable)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    def _on_output(self, msg: Any) -> None:
        now = self.node.get_clock().now().nanoseconds
        with self.cond:
            self.arrivals[stamp_to_ns(msg.header.stamp)] = now
            self.cond.notify_all()

    def _on_diag(self, msg: Any) -> None:
        for status in msg.status:
            if status.name.startswith("bench/bridgenet"):
                with self.cond:
                    self.diagnostics.append({kv.key: kv.value for kv in status.values})

    def message(self, fields: Any, stamp_ns: int) -> Any:
        """A ``sensor_msgs/Image`` of ``fields`` stamped ``stamp_ns``."""
        msg = self._image_type()
        msg.header.stamp.sec, msg.header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
        msg.header.frame_id = "camera_color_optical_frame"
        msg.height, msg.width, msg.encoding = fields.height, fields.width, fields.encoding
        msg.is_bigendian, msg.step, msg.data = fields.is_bigendian, fields.step, fields.data
        return msg

    def now_ns(self) -> int:
        """The client node's clock in nanoseconds."""
        return int(self.node.get_clock().now().nanoseconds)

    def wait_for_node(self, proc: subprocess.Popen[str]) -> bool:
        """Wait (at most 120 s) until the node subscribes and publishes; print why not."""
        deadline = time.monotonic() + 120
        while (
            self.pub_rgb.get_subscription_count() == 0
            or self.node.count_publishers("depth_sr/image") == 0
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = proc.stderr.read() if proc.stderr else ""
                print(f"error: the node did not come up:\n{log}", file=sys.stderr)
                return False
            time.sleep(0.1)
        return True

    def send_and_time(self, rgb_fields: Any, depth_fields: Any) -> float | None:
        """Publish one stamped pair and wait for its output: latency in ms (``None``: none)."""
        stamp = self.now_ns()
        # build both messages first so the stamp -> publish time is only the publish calls
        rgb_msg, depth_msg = self.message(rgb_fields, stamp), self.message(depth_fields, stamp)
        self.pub_rgb.publish(rgb_msg)
        self.pub_depth.publish(depth_msg)
        with self.cond:
            if not self.cond.wait_for(lambda: stamp in self.arrivals, timeout=120):
                return None
            return (self.arrivals[stamp] - stamp) / 1e6

    def last_diagnostics(self) -> dict[str, str]:
        """The node's latest diagnostics values (empty when none arrived)."""
        with self.cond:
            return self.diagnostics[-1] if self.diagnostics else {}

    def close(self) -> None:
        """Stop spinning and shut ROS down."""
        import rclpy

        self.executor.shutdown(timeout_sec=2)
        self.node.destroy_node()
        rclpy.try_shutdown()


def measure(
    args: argparse.Namespace, client: BenchClient, fields: tuple[Any, Any]
) -> list[float] | None:
    """Closed-loop latencies (ms) of the measured frames; ``None`` when an output never came."""
    latencies_ms: list[float] = []
    for k in range(args.warmup + args.frames):
        latency = client.send_and_time(*fields)
        if latency is None:
            print(f"error: no output for frame {k}", file=sys.stderr)
            return None
        if k >= args.warmup:
            latencies_ms.append(latency)
        time.sleep(args.gap)
    return latencies_ms


def summary_row(latencies_ms: list[float], diag: dict[str, str]) -> dict[str, float]:
    """The figures of one run: client end-to-end, node latency, inference, stages (ms)."""
    row = {
        "e2e": float(np.median(latencies_ms)),
        "e2e p95": float(np.percentile(latencies_ms, 95)),
        "node": float(diag.get("latency p50 (ms)", "nan")),
        "inference": float(diag.get("inference p50 (ms)", "nan")),
        "pipeline": float(diag.get("pipeline p50 (ms)", "nan")),
        "ratio": float(diag.get("latency / inference p50", "nan")),
    }
    row["transport"] = row["e2e"] - row["node"]
    for stage in NODE_STAGES:
        row[stage] = float(diag.get(f"{stage} p50 (ms)", "nan"))
    return row


def print_summary(
    args: argparse.Namespace, lr_hw: tuple[int, int], rows: list[dict[str, float]]
) -> None:
    """Print one Markdown row per run, their medians, and the per-stage breakdown."""
    print(
        f"{args.variant if args.model is None else args.model.name}, {args.width}x{args.height} "
        f"RGB + {lr_hw[1]}x{lr_hw[0]} depth, {args.frames} frames per run (+{args.warmup} warm-up)"
    )
    print(
        "| run | end-to-end p50 | e2e p95 | node latency p50 | inference p50 | pipeline p50 |"
        " node latency / inference (per frame, p50) | goal <= 1.05 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    medians = {key: float(np.median([r[key] for r in rows])) for key in rows[0]}
    for name, r in [*((str(k + 1), r) for k, r in enumerate(rows)), ("median", medians)]:
        print(
            f"| {name} | {r['e2e']:.1f} | {r['e2e p95']:.1f} | {r['node']:.1f} | "
            f"{r['inference']:.1f} | {r['pipeline']:.1f} | {r['ratio']:.3f} | "
            f"{'yes' if r['ratio'] <= 1.05 else 'no'} |"
        )
    print("\nper-frame stages inside the node (p50 over each run's frames, median of runs):")
    print("| stage | ms | % of inference |")
    print("|---|---:|---:|")
    for stage in NODE_STAGES:
        value = medians[stage]
        if value == value:  # not NaN: the node reported it
            print(f"| {stage} | {value:.2f} | {100 * value / medians['inference']:.2f} % |")
    print(
        f"| transport (e2e - node latency: client publish, DDS both ways, callbacks) | "
        f"{medians['transport']:.2f} | |"
    )


def stop_node(proc: subprocess.Popen[str]) -> int:
    """SIGINT the node and wait 20 s: 0, or 1 when it had to be killed."""
    proc.send_signal(2)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return 1
    return 0


def run_once(
    args: argparse.Namespace, model_path: Path, client: BenchClient, fields: tuple[Any, Any]
) -> dict[str, float] | None:
    """Start a node, measure one run, stop the node; ``None`` when it failed."""
    proc = subprocess.Popen(
        node_command(model_path, args.backend, args.param),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    row = None
    try:
        if not client.wait_for_node(proc):
            return None
        time.sleep(0.5)
        latencies_ms = measure(args, client, fields)
        if latencies_ms is not None:
            time.sleep(1.2)  # one more diagnostics period covering the last frame
            row = summary_row(latencies_ms, client.last_diagnostics())
    finally:
        if stop_node(proc) != 0:
            row = None
        with client.cond:
            client.diagnostics.clear()
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown summary."""
    args = parse_args(argv)
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(101, 200)))
    hw = (args.height, args.width)
    tmp = tempfile.TemporaryDirectory(prefix="bench_node_")
    model_path = args.model or build_model(args.variant, args.backend, hw, Path(tmp.name))
    client = BenchClient()
    rgb_fields, depth_fields, lr_hw = input_fields(args)
    rows: list[dict[str, float]] = []
    try:
        for _ in range(args.runs):
            row = run_once(args, model_path, client, (rgb_fields, depth_fields))
            if row is None:
                return 1
            rows.append(row)
        print_summary(args, lr_hw, rows)
    finally:
        client.close()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
