# SPDX-License-Identifier: Apache-2.0
"""numpy's BLAS thread count for the entry points (``bridgenet``, the node).

The pipeline's small resizes gain nothing from BLAS threads, which compete with the inference
backend's threads for the cores (measured on 2 cores: pre- + post-processing took 24 % of
onnxruntime's inference time instead of 5 %). OpenBLAS reads its setting when numpy is first
imported, so an entry point calls :func:`limit_blas_threads` before anything imports numpy.
Importing this module imports nothing.
"""

from __future__ import annotations

import os
import sys

__all__ = ["limit_blas_threads"]


def limit_blas_threads() -> bool:
    """Set ``OPENBLAS_NUM_THREADS=1`` unless the user set it.

    Returns:
        True if the setting can still take effect (numpy not imported yet).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return "numpy" not in sys.modules
