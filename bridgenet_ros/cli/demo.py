# SPDX-License-Identifier: Apache-2.0
"""``bridgenet demo`` (what ``make demo`` runs): sample bag -> offline bench, CPU only.

Needs no dataset, no GPU and no ROS: procedural scenes are recorded into a short rosbag2, which
is replayed with the shipped model (``models/bridgenet_lite.onnx`` via onnxruntime on the CPU, or
the ``.pt`` checkpoint via torch when no ONNX file exists) through the node's pairing and
pipeline. Prints ours-vs-bicubic RMSE, latency and FPS and the paths of the report and pictures.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HELP = "make a synthetic sample bag and benchmark the shipped model on it (CPU, no dataset)"

#: repository root (the package is installed editable from a clone)
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS = (
    REPO_ROOT / "models" / "bridgenet_lite.onnx",
    REPO_ROOT / "models" / "bridgenet_lite.pt",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``demo``."""
    parser.add_argument(
        "--out",
        default="demo_out",
        help="output folder (default demo_out/); its demo files are replaced",
    )
    parser.add_argument(
        "--model", default=None, help="model file (default models/bridgenet_lite.onnx, else .pt)"
    )
    parser.add_argument("--frames", type=int, default=30, help="frames in the bag (default 30)")
    parser.add_argument("--height", type=int, default=240, help="image height (default 240)")
    parser.add_argument("--width", type=int, default=320, help="image width (default 320)")
    parser.add_argument("--scale", type=float, default=4.0, help="LR down-sampling factor")
    parser.add_argument(
        "--storage", choices=("sqlite3", "mcap"), default="mcap", help="bag storage (default mcap)"
    )
    parser.add_argument("--seed", type=int, default=7, help="synthetic scene seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def resolve_demo_model(model: str | None) -> Path:
    """The model the demo runs: ``--model`` or the shipped lite model (ONNX preferred).

    Raises:
        ConfigError: the given file or every default is missing (the message says what to do).
    """
    from bridgenet_ros.errors import ConfigError

    if model:
        path = Path(model)
        if not path.is_file():
            raise ConfigError(f"--model {path} does not exist; pass an existing .onnx or .pt file")
        return path
    for path in DEFAULT_MODELS:
        if path.is_file():
            return path
    raise ConfigError(
        f"no shipped model: neither {DEFAULT_MODELS[0]} nor {DEFAULT_MODELS[1]} exists. Pull the "
        "repository's models/ folder (git lfs pull if it uses LFS), train one with `bridgenet "
        "train`, or pass --model PATH"
    )


def run(args: argparse.Namespace) -> int:
    """Generate the bag, run the bench, print the summary."""
    from tqdm import tqdm

    from bridgenet_ros.bench.bag_writer import BagWriteOptions, write_bag
    from bridgenet_ros.bench.offline import run_offline_bench
    from bridgenet_ros.bench.sources import open_frame_source
    from bridgenet_ros.cli.bench import print_summary
    from bridgenet_ros.errors import ConfigError
    from bridgenet_ros.stream.params import NodeConfig

    if args.frames < 2:
        raise ConfigError(f"--frames must be >= 2, got {args.frames}")
    model = resolve_demo_model(args.model)
    backend = "onnxruntime" if model.suffix == ".onnx" else "torch"
    out = Path(args.out)
    bag, report_dir, out_bag = out / "sample_bag", out / "report", out / "sample_bag_sr"
    for old in (bag, report_dir, out_bag):
        if old.exists():
            shutil.rmtree(old)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    source = open_frame_source(
        "synthetic",
        scale=args.scale,
        limit=args.frames,
        height=args.height,
        width=args.width,
        seed=args.seed,
    )
    with tqdm(
        total=source.count,
        desc="1/2 sample bag",
        unit="frame",
        disable=args.no_progress,
        file=sys.stderr,
    ) as bar:
        summary = write_bag(
            bag,
            source.frames,
            BagWriteOptions(storage=args.storage),
            progress=lambda n: bar.update(n - bar.n),
        )
    print(
        f"sample bag: {summary.path} ({summary.storage}, {summary.frames} frames, RGB "
        f"{args.width}x{args.height}, depth {summary.depth_hw[1]}x{summary.depth_hw[0]})"
    )
    config = NodeConfig(model_path=str(model), backend=backend)
    with tqdm(
        total=source.count,
        desc=f"2/2 bench ({backend}, CPU)",
        unit="frame",
        disable=args.no_progress,
        file=sys.stderr,
    ) as bar:
        bench = run_offline_bench(
            bag,
            config,
            report_dir=report_dir,
            out_bag=out_bag,
            progress=lambda done, total: bar.update(done - bar.n),
        )
    print_summary(bench.report, bench.files)
    print(f"  {'out_bag':18s} {out_bag}  (ros2 bag play it; view /depth_sr/image in rviz)")
    print(f"demo finished in {time.perf_counter() - t0:.0f} s; open {report_dir / 'report.md'}")
    return 0
