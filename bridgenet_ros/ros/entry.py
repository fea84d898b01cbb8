# SPDX-License-Identifier: Apache-2.0
"""``bridgenet_node`` console entry: one BLAS thread, set before numpy loads, then the node.

OpenBLAS reads ``OPENBLAS_NUM_THREADS`` once, when numpy is first imported; ``ros/node.py``
imports numpy at module level, so the limit must be set here, before importing it. BLAS threads
otherwise fight the inference threads for the same cores (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from bridgenet_ros.blas import limit_blas_threads

__all__ = ["main"]


def main(args: Sequence[str] | None = None) -> int:
    """Limit BLAS threads (a user's own setting wins), then run :func:`ros.node.main`."""
    limit_blas_threads()
    from bridgenet_ros.ros.node import main as node_main

    return node_main(args)
