# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the training tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

#: a training YAML on tiny synthetic scenes (the ``test`` variant, CPU, no validation set)
_TINY_YAML = (
    "variant: test\n"
    "data:\n"
    "  sources: [{kind: synthetic, height: 64, width: 64, length: 8}]\n"
    "  crop_hw: [32, 32]\n"
    "  scale_range: [2.0, 5.5]\n"
    "  samples_per_epoch: 4\n"
    "val: {set: ''}\n"
    "batch_size: 2\nwarmup_steps: 1\nlog_every: 1\ndevice: cpu\n"
)


@pytest.fixture
def tiny_train_yaml(tmp_path: Path) -> Callable[[str], Path]:
    """Write ``tmp_path/tiny.yaml``: the tiny config plus ``extra`` top-level YAML lines."""

    def write(extra: str) -> Path:
        path = tmp_path / "tiny.yaml"
        path.write_text(_TINY_YAML + extra)
        return path

    return write
