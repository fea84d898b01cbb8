# SPDX-License-Identifier: Apache-2.0
"""Rosbag replay benchmarking: sample bags, offline replay, live replay, reports.

- :mod:`.bag_writer` / :mod:`.sources`: ``make-bag`` (rosbags Writer, sqlite3 or MCAP).
- :mod:`.bag_reader`: validated, skip-counting bag reading for replay.
- :mod:`.replay` / :mod:`.offline`: offline replay through the node's pairing and pipeline.
- :mod:`.real_recording`: ``--downsample`` (a recording's own depth as reference, scored as
  ``eval --real-sensor``) and ``--register`` (the stream's registrar from the bag).
- :mod:`.live`: play a bag to a running node with rclpy (imported lazily).
- :mod:`.report` / :mod:`.plots` / :mod:`.stats`: report.json/.md, pictures, statistics.

Importing this package loads numpy only; rosbags, matplotlib, torch and rclpy are imported by the
functions that need them.
"""

from __future__ import annotations

from bridgenet_ros.bench.bag_reader import BagMessage, BagSource
from bridgenet_ros.bench.bag_writer import BagFrame, BagWriteOptions, BagWriteSummary, write_bag
from bridgenet_ros.bench.offline import BenchRun, run_offline_bench
from bridgenet_ros.bench.replay import ReplayOptions, ReplayResult, replay_bag
from bridgenet_ros.bench.report import build_report, write_report
from bridgenet_ros.bench.topics import OUTPUT_MDE_TOPIC, OUTPUT_SR_TOPIC, BagTopics

__all__ = [
    "OUTPUT_MDE_TOPIC",
    "OUTPUT_SR_TOPIC",
    "BagFrame",
    "BagMessage",
    "BagSource",
    "BagTopics",
    "BagWriteOptions",
    "BagWriteSummary",
    "BenchRun",
    "ReplayOptions",
    "ReplayResult",
    "build_report",
    "replay_bag",
    "run_offline_bench",
    "write_bag",
    "write_report",
]
