# SPDX-License-Identifier: Apache-2.0
"""``bridgenet data``: look at a data source, pre-build training shards, time the data path.

Actions:

* ``preview``: an RGB | LR | GT grid PNG of a source;
* ``build-shards``: write the training samples a config draws into shard files
  (``{kind: shards, path: DIR}`` reads them back, bit for bit);
* ``bench``: training samples per second of one process, on the fly and from shards.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridgenet_ros.data.config import DataConfig

HELP = (
    "training data: 'preview' (RGB | LR | GT grid PNG), 'build-shards' (pre-built samples), "
    "'bench' (samples/s)"
)


def _size(text: str) -> tuple[int, int]:
    """Parse ``HxW`` (e.g. ``240x320``)."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 240x320, got {text!r}") from None
    if h < 8 or w < 8:
        raise argparse.ArgumentTypeError(f"size must be at least 8x8, got {text!r}")
    return h, w


def _depth_scale(text: str) -> float | str | None:
    """A number of metres per file value, a unit name, or ``none`` (unit-less)."""
    if text.lower() in ("none", "null", "unitless"):
        return None
    try:
        return float(text)
    except ValueError:
        return text  # a unit name, validated by the reader


def _add_preview(sub: argparse._SubParsersAction) -> None:
    preview = sub.add_parser("preview", help="write a PNG grid: RGB | LR | GT per frame")
    preview.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    preview.add_argument(
        "--data",
        required=True,
        help="'synthetic', a named set (rgbdd, rgbdd_realscene, middlebury, nyu_v2, "
        "raw_sensor/redwood, raw_sensor/tum), a folder-format directory or an NYU .mat",
    )
    preview.add_argument("--out", required=True, help="output PNG path")
    preview.add_argument(
        "--scale", type=float, default=4.0, help="LR factor for frames without real LR (default 4)"
    )
    preview.add_argument("--n", type=int, default=3, help="number of frames (default 3)")
    preview.add_argument(
        "--data-root", default=None, help="root of the named sets (default ../shared/data)"
    )
    preview.add_argument(
        "--depth-scale",
        type=_depth_scale,
        default=0.001,
        help="folder depth unit: metres per value, m|mm|tum, or none (unit-less); default 0.001",
    )
    preview.add_argument("--lr-subdir", default=None, help="folder's real LR sub-folder")
    preview.add_argument("--seed", type=int, default=0, help="synthetic seed")
    preview.add_argument(
        "--size", type=_size, default=(240, 320), help="synthetic frame size HxW (default 240x320)"
    )


def _add_shards(sub: argparse._SubParsersAction) -> None:
    shards = sub.add_parser(
        "build-shards", help="write the training samples of a config into shard files"
    )
    shards.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    shards.add_argument("--config", required=True, help="training YAML (its data: section)")
    shards.add_argument("--out", required=True, help="new shard directory, e.g. shards/campaign")
    shards.add_argument("--samples", type=int, required=True, help="number of samples")
    shards.add_argument("--shard-size", type=int, default=1024, help="samples per shard file")
    shards.add_argument("--workers", type=int, default=1, help="processes drawing samples")
    shards.add_argument("--data-root", default=None, help="root of the named sets")


def _add_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="training samples/s of one process (one worker)")
    bench.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    bench.add_argument("--config", required=True, help="training YAML (its data: section)")
    bench.add_argument("--shards", default=None, help="also time this shard directory")
    bench.add_argument("--samples", type=int, default=100, help="samples per repeat")
    bench.add_argument("--repeats", type=int, default=3, help="timed repeats (median printed)")
    bench.add_argument("--data-root", default=None, help="root of the named sets")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``preview``, ``build-shards`` and ``bench`` actions and their options."""
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    _add_preview(sub)
    _add_shards(sub)
    _add_bench(sub)


def _data_config(args: argparse.Namespace) -> DataConfig:
    """The ``data:`` section of ``--config`` (with ``--data-root`` applied)."""
    from dataclasses import replace

    from bridgenet_ros.train.config import load_train_config

    data = load_train_config(args.config).data
    return replace(data, data_root=args.data_root) if args.data_root else data


def _preview(args: argparse.Namespace) -> int:
    from bridgenet_ros.data.preview import load_preview_frames, render_preview
    from bridgenet_ros.errors import ConfigError

    if args.scale < 1.0:
        raise ConfigError(f"--scale must be >= 1, got {args.scale}")
    frames = load_preview_frames(
        args.data,
        args.n,
        data_root=args.data_root,
        depth_scale=args.depth_scale,
        lr_subdir=args.lr_subdir,
        seed=args.seed,
        size_hw=args.size,
    )
    out = render_preview(frames, args.scale, args.out, title=f"{args.data}")
    print(f"wrote {out} ({len(frames)} frames)")
    return 0


def _build_shards(args: argparse.Namespace) -> int:
    from bridgenet_ros.data.shards import write_training_shards

    config = _data_config(args)
    step = max(1, args.samples // 10)

    def progress(done: int) -> None:
        if done % step == 0 or done == args.samples:
            print(f"  {done}/{args.samples} samples", flush=True)

    index, seconds = write_training_shards(
        config,
        args.out,
        args.samples,
        shard_size=args.shard_size,
        workers=args.workers,
        meta={"train_config": str(args.config)},
        progress=progress,
    )
    print(
        f"wrote {args.samples} samples ({config.crop_hw[0]}x{config.crop_hw[1]}) to {index.parent}"
        f" in {seconds:.1f} s ({args.samples / seconds:.1f} samples/s); train on them with "
        f"data.sources: [{{kind: shards, path: {index.parent}}}]"
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    import statistics
    from dataclasses import replace

    from bridgenet_ros.data.config import SourceConfig
    from bridgenet_ros.data.datasets import build_dataset
    from bridgenet_ros.data.throughput import measure_samples_per_s

    config = _data_config(args)
    variants = [("on the fly", config)]
    if args.shards:
        shard_source = SourceConfig(kind="shards", path=args.shards)
        variants.append((f"shards {args.shards}", replace(config, sources=(shard_source,))))
    for label, data in variants:

        def report(repeat: int, wall: float, cpu: float, name: str = label) -> None:
            print(
                f"  {name} repeat {repeat}: {wall:.1f} samples/s, {cpu:.1f} per CPU-s", flush=True
            )

        dataset = build_dataset(data, "train")
        rates = measure_samples_per_s(dataset, args.samples, args.repeats, report=report)
        wall = statistics.median(r[0] for r in rates)
        cpu = statistics.median(r[1] for r in rates)
        print(
            f"{label}: median {wall:.1f} samples/s ({1e3 / wall:.2f} ms/sample), "
            f"{cpu:.1f} samples per CPU-second; crop {data.crop_hw}, one process"
        )
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; returns the exit status."""
    from bridgenet_ros.errors import ConfigError

    actions = {"preview": _preview, "build-shards": _build_shards, "bench": _bench}
    action = actions.get(getattr(args, "data_command", None) or "")
    if action is None:
        raise ConfigError(
            "missing action: use 'bridgenet data preview|build-shards|bench ...' (see --help)"
        )
    return action(args)
