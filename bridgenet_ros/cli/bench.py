# SPDX-License-Identifier: Apache-2.0
"""``bridgenet bench``: replay a bag through the node's pipeline and report speed/accuracy.

Bags: rosbag2 directories (sqlite3 or MCAP) and ROS 1 ``.bag`` files (rosbags reads both).
Offline by default (rosbags only, no ROS), through the node's own per-frame
:class:`~bridgenet_ros.stream.frame_stream.FrameStream`; ``--live`` plays the bag to a running
node with rclpy and measures end-to-end latency from the output header stamps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

HELP = (
    "benchmark a bag (rosbag2 or ROS 1) offline through the node's stream, or live against a "
    "running node"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench``."""
    from bridgenet_ros.bench.topics import OUTPUT_SR_TOPIC, BagTopics

    topics = BagTopics()
    parser.add_argument(
        "--bag",
        required=True,
        help="input bag: a rosbag2 directory (sqlite3 or MCAP) or a ROS 1 .bag file",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="model file (.onnx, .pt, .engine); default models/bridgenet_lite.onnx",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "tensorrt", "onnxruntime", "torch"),
        default="auto",
        help="inference backend (default auto)",
    )
    parser.add_argument("--model-height", type=int, default=None, help="network input height")
    parser.add_argument("--model-width", type=int, default=None, help="network input width")
    parser.add_argument("--rgb-topic", default=topics.rgb, help=f"default {topics.rgb}")
    parser.add_argument("--depth-topic", default=topics.depth, help=f"default {topics.depth}")
    parser.add_argument(
        "--gt-topic",
        default=None,
        help=f"full-resolution ground-truth depth (default {topics.gt}; not with --downsample)",
    )
    parser.add_argument(
        "--rgb-info-topic",
        default=topics.rgb_info,
        help=f"colour camera_info, scaled into depth_sr/camera_info (default {topics.rgb_info})",
    )
    parser.add_argument(
        "--depth-info-topic",
        default=topics.depth_info,
        help=f"depth camera_info, for registration (default {topics.depth_info})",
    )
    parser.add_argument(
        "--sync-slop",
        type=float,
        default=None,
        help="largest RGB/depth stamp difference of a pair in seconds, as the node's sync_slop "
        "parameter (default: the node's, 0.05); a real recording may need more",
    )
    parser.add_argument(
        "--downsample",
        type=float,
        default=None,
        metavar="S",
        help="a real recording whose depth topic is full resolution (e.g. RealSense aligned "
        "depth): the LR input is its hole-aware self-down-sampling by S and the recorded depth "
        "the reference, scored overall / flat / edge as `bridgenet eval --real-sensor` "
        "(instead of a ground-truth topic)",
    )
    parser.add_argument(
        "--downsample-filter",
        choices=("bicubic", "box"),
        default="bicubic",
        help="filter of --downsample (default bicubic, as eval --real-sensor)",
    )
    parser.add_argument(
        "--crop",
        type=int,
        default=6,
        help="--downsample: border crop in pixels of the scores (default 6, as eval)",
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="register unaligned depth into the colour camera before super-resolution (the "
        "node's register_depth): needs --depth-to-rgb and both camera_info topics in the bag",
    )
    parser.add_argument(
        "--depth-to-rgb",
        default=None,
        metavar="x,y,z,qx,qy,qz,qw",
        help="--register: depth optical frame -> colour optical frame, metres and a unit "
        "quaternion (what `ros2 run tf2_ros tf2_echo <rgb_frame> <depth_frame>` prints); write "
        "--depth-to-rgb=-0.015,... when the first value is negative",
    )
    parser.add_argument(
        "--report",
        default=None,
        help="report folder (report.json, report.md, PNGs); default runs/bench",
    )
    parser.add_argument(
        "--out-bag",
        default=None,
        help="write the input bag plus depth_sr/image, depth_sr/camera_info and depth_mde/image "
        "here (stamps, frame ids and camera_info kept; rosbag2 for a rosbag2 input, a ROS 1 "
        ".bag for a ROS 1 input)",
    )
    parser.add_argument("--samples", type=int, default=4, help="frames in the contact sheet")
    parser.add_argument(
        "--live",
        action="store_true",
        help="play the bag to a running node (needs rclpy) instead of offline",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="--live: publish rate in Hz (default: the recorded timing)",
    )
    parser.add_argument(
        "--output-topic",
        default=OUTPUT_SR_TOPIC,
        help=f"--live: the node's SR output topic (default {OUTPUT_SR_TOPIC})",
    )
    parser.add_argument(
        "--discovery-timeout",
        type=float,
        default=20.0,
        help="--live: seconds to wait for the node to subscribe",
    )
    parser.add_argument(
        "--flat-guard",
        action="store_true",
        help="the node's flat_guard: keep the up-sampled input where the LR depth is locally a "
        "plane (bridgenet_ros.runtime.flat_guard)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _node_config(args: argparse.Namespace) -> Any:
    from bridgenet_ros.errors import ConfigError
    from bridgenet_ros.stream.params import NodeConfig

    if (args.model_height is None) != (args.model_width is None):
        raise ConfigError("give both --model-height and --model-width, or neither")
    slop = {} if args.sync_slop is None else {"sync_slop": args.sync_slop}
    return NodeConfig(
        model_path=str(args.model) if args.model else "",
        backend=args.backend,
        model_height=args.model_height or 0,
        model_width=args.model_width or 0,
        flat_guard=args.flat_guard,
        **slop,
    )


def _reference_options(args: argparse.Namespace) -> None:
    """Reject contradictory accuracy/registration options (``ConfigError``)."""
    from bridgenet_ros.errors import ConfigError

    if args.downsample is not None and args.gt_topic is not None:
        raise ConfigError(
            "--downsample and --gt-topic are alternatives: --downsample scores against the "
            "recording's own depth, --gt-topic against a ground-truth topic; give one"
        )
    if args.downsample is not None and args.register:
        raise ConfigError(
            "--downsample cannot be combined with --register: the recording's depth is the "
            "reference, so it must already be aligned to the colour image"
        )
    if args.register != (args.depth_to_rgb is not None):
        raise ConfigError("--register and --depth-to-rgb x,y,z,qx,qy,qz,qw go together")
    if args.live and (args.downsample is not None or args.register):
        raise ConfigError(
            "--downsample and --register are offline options; for a live node set its "
            "register_depth / depth_to_rgb parameters"
        )


def _registrar(args: argparse.Namespace, topics: Any) -> Any:
    """The stream's registrar from ``--depth-to-rgb`` and the bag's camera_infos, or ``None``."""
    if not args.register:
        return None
    from bridgenet_ros.bench.real_recording import bag_registrar
    from bridgenet_ros.errors import ConfigError
    from bridgenet_ros.stream.extrinsic import Extrinsic

    try:
        values = [float(v) for v in args.depth_to_rgb.split(",")]
    except ValueError as err:
        raise ConfigError(
            f"--depth-to-rgb {args.depth_to_rgb!r}: expected 7 numbers x,y,z,qx,qy,qz,qw"
        ) from err
    return bag_registrar(args.bag, topics, Extrinsic.from_mapping(values))


def check_writable(path: Path, flag: str, *, folder: bool) -> None:
    """Fail early, in one line, when an output path cannot be written (nothing is created).

    Args:
        path: the output (a folder the command fills when ``folder``, else a path it creates).
        flag: the option name, for the message.
        folder: ``path`` may already exist as a folder.

    Raises:
        ConfigError: ``path`` (or the nearest existing folder above it) is not a writable folder.
    """
    from bridgenet_ros.errors import ConfigError

    target = path if folder else path.parent
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"{flag} {path}: {existing} is a file, not a folder; choose a writable path"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: {existing} is not writable; choose a writable path")


def print_summary(report: dict[str, Any], files: dict[str, Path]) -> None:
    """Print the headline table of an offline report and where its files are."""
    lat = report["latency_ms"]
    acc = report.get("accuracy")

    def f(value: Any, digits: int = 2) -> str:
        return "n/a" if value is None else f"{value:.{digits}f}"

    print(f"\nbackend {report['backend']}  model {report['model']}")
    print(
        f"frames {report['frames']}  pairs made {report['pairs']['made']}  dropped "
        f"{report['pairs']['dropped']}  skipped {report['skipped'] or 0}"
    )
    print(f"{'':12s} {'RMSE (m)':>10s} {'MAE (m)':>10s}")
    if acc:
        print(f"{'BridgeNet':12s} {f(acc['rmse_m'], 4):>10s} {f(acc['mae_m'], 4):>10s}")
        print(
            f"{'bicubic':12s} {f(acc['bicubic_rmse_m'], 4):>10s} {f(acc['bicubic_mae_m'], 4):>10s}"
        )
        print(f"(reference: {acc.get('reference') or 'ground-truth topic'})")
    elif report.get("downsample") is not None:
        print("(--downsample: no frame could be scored; see skipped)")
    else:
        print("(no ground-truth topic: accuracy not measured)")
    if report.get("regions"):
        from bridgenet_ros.eval.evaluate import format_region_table

        print(format_region_table(report["regions"], "m"))
    print(
        f"latency ms  p50 {f(lat['p50'])}  p90 {f(lat['p90'])}  p99 {f(lat['p99'])}  "
        f"max {f(lat['max'])}  (inference mean {f(lat['stages']['inference'])})"
    )
    print(
        f"throughput {f(report['throughput_fps'])} frames/s  (inference bound "
        f"{f(report['inference_bound_fps'])}, ratio {f(report['throughput_ratio'], 3)})  "
        f"peak memory {f(report['peak_memory_mb'], 0)} MiB"
    )
    if files:
        print("files:")
        for name, path in files.items():
            print(f"  {name:18s} {path}")


def run(args: argparse.Namespace) -> int:
    """Run the offline or live bench."""
    from tqdm import tqdm

    from bridgenet_ros.malloc import tune_malloc

    tune_malloc()  # as the node does: the measured per-frame path runs with the same malloc

    from bridgenet_ros.bench.topics import BagTopics

    _reference_options(args)
    topics = BagTopics(
        rgb=args.rgb_topic,
        depth=args.depth_topic,
        gt=args.gt_topic or BagTopics().gt,
        rgb_info=args.rgb_info_topic,
        depth_info=args.depth_info_topic,
    )
    report_dir = Path(args.report) if args.report else Path("runs") / "bench"
    config = _node_config(args)
    check_writable(report_dir, "--report", folder=True)
    if args.out_bag and not args.live:
        check_writable(Path(args.out_bag), "--out-bag", folder=False)
    if args.live:
        from bridgenet_ros.bench.live import LiveOptions, run_live_bench

        report = run_live_bench(
            args.bag,
            LiveOptions(
                topics=topics,
                rate_hz=args.rate,
                output_topic=args.output_topic,
                discovery_timeout_s=args.discovery_timeout,
            ),
        )
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / "report_live.json"
        from bridgenet_ros.bench.report import json_safe

        path.write_text(json.dumps(json_safe(report), indent=2) + "\n", encoding="utf-8")
        lat = report["latency_ms"]
        print(
            f"live: sent {report['sent_pairs']} pairs, received {report['received']}, "
            f"dropped {report['dropped']}; latency mean {lat['mean']:.1f} ms max "
            f"{lat['max']:.1f} ms; output {report['output_rate_hz']:.1f} Hz; jitter mean "
            f"{report['jitter_ms']['mean']:.1f} ms"
        )
        print(f"report: {path}")
        return 0

    from bridgenet_ros.bench.offline import run_offline_bench

    registrar = _registrar(args, topics)
    with tqdm(desc="bench", unit="frame", disable=args.no_progress, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        bench = run_offline_bench(
            args.bag,
            config,
            report_dir=report_dir,
            topics=topics,
            out_bag=args.out_bag,
            samples=args.samples,
            progress=progress,
            downsample=args.downsample,
            downsample_filter=args.downsample_filter,
            crop=args.crop,
            registrar=registrar,
        )
    print_summary(bench.report, bench.files)
    if args.out_bag:
        print(f"  {'out_bag':18s} {args.out_bag}")
    return 0
