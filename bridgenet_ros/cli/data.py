# SPDX-License-Identifier: Apache-2.0
"""``bridgenet data preview``: look at a data source as an RGB | LR | GT grid."""

from __future__ import annotations

import argparse

HELP = "inspect training data: 'preview' writes an RGB | LR | GT grid PNG with colour bars"


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``preview`` action and its options."""
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
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


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; returns the exit status."""
    from bridgenet_ros.errors import ConfigError

    if getattr(args, "data_command", None) != "preview":
        raise ConfigError("missing action: use 'bridgenet data preview --data ... --out ...'")
    if args.scale < 1.0:
        raise ConfigError(f"--scale must be >= 1, got {args.scale}")
    from bridgenet_ros.data.preview import load_preview_frames, render_preview

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
