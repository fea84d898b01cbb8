# SPDX-License-Identifier: Apache-2.0
"""``bridgenet make-bag``: record a dataset or procedural scenes as an RGB-D camera rosbag2."""

from __future__ import annotations

import argparse
import sys

HELP = "write a rosbag2 (sqlite3 or MCAP) that looks like an RGB-D camera, from data or synthetic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``make-bag``."""
    parser.add_argument(
        "--data",
        required=True,
        help="'synthetic', a named set (rgbdd, nyu_v2, ...) or a folder-format set",
    )
    parser.add_argument("--out", required=True, help="output bag directory (must not exist)")
    lr = parser.add_mutually_exclusive_group()
    lr.add_argument(
        "--scale",
        type=float,
        default=None,
        help="LR = bicubic down-sampling of the GT by this factor (default 4)",
    )
    lr.add_argument(
        "--lr-dir", default=None, help="sub-folder of the set holding real low-resolution depth"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="at most N frames (synthetic default 60)"
    )
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate in Hz (default 30)")
    parser.add_argument(
        "--storage",
        choices=("sqlite3", "mcap"),
        default="sqlite3",
        help="rosbag2 storage plugin (default sqlite3)",
    )
    parser.add_argument(
        "--depth-scale",
        type=float,
        default=None,
        help="metres per depth-file value of a folder set (default 0.001)",
    )
    parser.add_argument(
        "--noise",
        action="store_true",
        help="degrade the LR depth with the sensor model (noise, holes)",
    )
    parser.add_argument("--height", type=int, default=480, help="synthetic height (default 480)")
    parser.add_argument("--width", type=int, default=640, help="synthetic width (default 640)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic scene / noise seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Write the bag and print a summary."""
    from pathlib import Path

    from tqdm import tqdm

    from bridgenet_ros.bench.bag_writer import BagWriteOptions, write_bag
    from bridgenet_ros.bench.sources import open_frame_source
    from bridgenet_ros.cli.bench import check_writable

    check_writable(Path(args.out), "--out", folder=False)

    source = open_frame_source(
        args.data,
        scale=args.scale,
        lr_dir=args.lr_dir,
        limit=args.limit,
        depth_scale=args.depth_scale,
        height=args.height,
        width=args.width,
        noise=args.noise,
        seed=args.seed,
    )
    options = BagWriteOptions(
        fps=args.fps, storage=args.storage, metric=source.metric, seed=args.seed
    )
    with tqdm(
        total=source.count,
        desc="make-bag",
        unit="frame",
        disable=args.no_progress,
        file=sys.stderr,
    ) as bar:
        summary = write_bag(
            args.out, source.frames, options, progress=lambda n: bar.update(n - bar.n)
        )
    print(
        f"wrote {summary.path} ({summary.storage}): {summary.frames} frames from "
        f"{source.description}; RGB {summary.rgb_hw[1]}x{summary.rgb_hw[0]}, depth "
        f"{summary.depth_hw[1]}x{summary.depth_hw[0]}, {summary.duration_s:.2f} s "
        f"at {args.fps:g} Hz"
    )
    for topic, count in summary.messages.items():
        print(f"  {topic}: {count}")
    return 0
