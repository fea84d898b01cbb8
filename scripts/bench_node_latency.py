# SPDX-License-Identifier: Apache-2.0
"""End-to-end latency of the bridgenet node (publish -> receive) vs its inference time.

Starts the node as a separate process (``python -m bridgenet_ros.ros.node``) on a model with
random weights, publishes RGB + LR depth pairs stamped "now" from this process, and times each
``depth_sr/image`` on arrival (stamp -> receive, the same clock). Pairs are sent closed-loop (the
next one after the previous output) so no frame waits in a queue. The node's own
``/diagnostics`` give the backend inference time and the whole pipeline time of the same frames.

Goal (issue 6): end-to-end p50 <= 1.05 x inference p50 + 5 ms.

Example::

    .venv/bin/python scripts/bench_node_latency.py --variant lite --height 480 --width 640 \
        --backend onnxruntime --frames 15
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
from typing import Any

import numpy as np


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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown summary."""
    args = parse_args(argv)
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(101, 200)))
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image

    from bridgenet_ros.stream.codec import array_to_image_fields
    from bridgenet_ros.stream.stamps import ns_to_sec_nanosec, stamp_to_ns

    hw = (args.height, args.width)
    tmp = tempfile.TemporaryDirectory(prefix="bench_node_")
    model_path = args.model or build_model(args.variant, args.backend, hw, Path(tmp.name))
    node_cmd = [
        sys.executable,
        "-m",
        "bridgenet_ros.ros.node",
        "--ros-args",
        "-r",
        "__ns:=/bench",
        "-p",
        f"model_path:={model_path}",
        "-p",
        f"backend:={args.backend}",
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
    ]
    proc = subprocess.Popen(node_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rclpy.init()
    client = rclpy.create_node("bench_client", namespace="/bench")
    reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    pub_rgb = client.create_publisher(Image, "rgb/image", reliable)
    pub_depth = client.create_publisher(Image, "depth/image", reliable)
    arrivals: dict[int, int] = {}
    diagnostics: list[dict[str, str]] = []
    cond = threading.Condition()

    def on_output(msg: Image) -> None:
        now = client.get_clock().now().nanoseconds
        with cond:
            arrivals[stamp_to_ns(msg.header.stamp)] = now
            cond.notify_all()

    def on_diag(msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.startswith("bench/bridgenet"):
                with cond:
                    diagnostics.append({kv.key: kv.value for kv in status.values})

    client.create_subscription(Image, "depth_sr/image", on_output, reliable)
    client.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(client)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (*hw, 3), dtype=np.uint8)
    lr_hw = (args.height // args.scale, args.width // args.scale)
    depth_mm = np.tile(np.linspace(800, 4000, lr_hw[1]).astype(np.uint16), (lr_hw[0], 1))
    rgb_fields = array_to_image_fields(rgb, "rgb8")
    depth_fields = array_to_image_fields(depth_mm, "16UC1")

    def message(fields: Any, stamp_ns: int) -> Image:
        msg = Image()
        msg.header.stamp.sec, msg.header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
        msg.header.frame_id = "camera_color_optical_frame"
        msg.height, msg.width, msg.encoding = fields.height, fields.width, fields.encoding
        msg.is_bigendian, msg.step, msg.data = fields.is_bigendian, fields.step, fields.data
        return msg

    latencies_ms: list[float] = []
    status = 0
    try:
        deadline = time.monotonic() + 120
        while (
            pub_rgb.get_subscription_count() == 0 or client.count_publishers("depth_sr/image") == 0
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = proc.stderr.read() if proc.stderr else ""
                print(f"error: the node did not come up:\n{log}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        time.sleep(0.5)
        for k in range(args.warmup + args.frames):
            stamp = client.get_clock().now().nanoseconds
            # build both messages first so the stamp -> publish time is only the publish calls
            rgb_msg, depth_msg = message(rgb_fields, stamp), message(depth_fields, stamp)
            pub_rgb.publish(rgb_msg)
            pub_depth.publish(depth_msg)
            with cond:
                arrived = cond.wait_for(lambda: stamp in arrivals, timeout=120)  # noqa: B023
                if not arrived:
                    print(f"error: no output for frame {k}", file=sys.stderr)
                    return 1
                if k >= args.warmup:
                    latencies_ms.append((arrivals[stamp] - stamp) / 1e6)
            time.sleep(args.gap)
        time.sleep(1.2)  # one more diagnostics period covering the last frame
        with cond:
            diag = diagnostics[-1] if diagnostics else {}
        e2e = float(np.median(latencies_ms))
        inference = float(diag.get("inference p50 (ms)", "nan"))
        pipeline = float(diag.get("pipeline p50 (ms)", "nan"))
        goal = 1.05 * inference + 5.0
        print(
            "| variant | backend | input | frames | end-to-end p50 (ms) | "
            "end-to-end p95 (ms) | inference p50 (ms) | pipeline p50 (ms) | "
            "goal 1.05 x inf + 5 (ms) | met |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {args.variant} | {diag.get('backend', args.backend)} | {args.width}x{args.height}"
            f" RGB, {lr_hw[1]}x{lr_hw[0]} depth | {len(latencies_ms)} | {e2e:.1f} | "
            f"{float(np.percentile(latencies_ms, 95)):.1f} | {inference:.1f} | {pipeline:.1f} | "
            f"{goal:.1f} | {'yes' if e2e <= goal else 'no'} |"
        )
        print(
            f"node overhead beyond the pipeline (e2e - pipeline p50): {e2e - pipeline:.1f} ms;"
            f" dropped_busy={diag.get('dropped_busy')}, outputs={diag.get('outputs')}"
        )
    finally:
        executor.shutdown(timeout_sec=2)
        client.destroy_node()
        rclpy.try_shutdown()
        proc.send_signal(2)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = 1
        tmp.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
