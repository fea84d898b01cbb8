# SPDX-License-Identifier: Apache-2.0
"""The ``bridgenet`` command: one dispatcher, one module per subcommand.

Each subcommand module ``bridgenet_ros.cli.<module>`` provides::

    HELP: str                                   # one line for ``bridgenet --help``
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int    # exit status

Subcommand modules import heavy libraries (torch, onnxruntime, rclpy) inside ``run`` only, so
``bridgenet --help`` is fast and works without them.

Exit status: 0 success, 1 runtime failure, 2 usage or configuration error. Errors print
``error: <message>`` on stderr; the traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from typing import Sequence

from bridgenet_ros import __version__
from bridgenet_ros.blas import limit_blas_threads
from bridgenet_ros.errors import BridgenetError, ConfigError, ShapeError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: subcommand name -> module under bridgenet_ros.cli
SUBCOMMANDS: dict[str, str] = {
    "info": "info",
    "data": "data",
    "train": "train",
    "eval": "evaluate",
    "export": "export",
    "build-engine": "build_engine",
    "make-bag": "make_bag",
    "bench": "bench",
    "demo": "demo",
}


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="bridgenet",
        description="BridgeNet depth super-resolution: data, training, export, benchmarking.",
    )
    parser.add_argument("--version", action="version", version=f"bridgenet_ros {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(f"bridgenet_ros.cli.{module_name}")
        sp = sub.add_parser(name, help=module.HELP, description=module.HELP)
        sp.add_argument("--debug", action="store_true", help="show tracebacks on errors")
        module.add_arguments(sp)
        sp.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bridgenet`` command line and return its exit status."""
    limit_blas_threads()  # before the subcommands import numpy; a user's setting wins
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ConfigError, ShapeError) as err:
        if args.debug:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BridgenetError as err:
        if args.debug:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
