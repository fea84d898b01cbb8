# SPDX-License-Identifier: Apache-2.0
"""Shared pytest fixtures: the real data folder, torch threads, repo paths, a test checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# the package's own variable (bridgenet_ros.data.folders.DATA_ROOT_ENV), so tests and code agree
SHARED_DATA = Path(os.environ.get("BRIDGENET_DATA_ROOT") or REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real RGB-D sets); skips with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set BRIDGENET_DATA_ROOT)")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _torch_threads() -> None:
    """Keep torch to one intra-op thread.

    The tests' tiny models gain nothing from more, and on a loaded 2-core machine a second
    thread made the trainer tests 4x slower (103 s instead of 23 s).
    """
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def test_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight ``test`` variant checkpoint (seeded: the same weights every run)."""
    torch = pytest.importorskip("torch", reason="torch is needed to build the test checkpoint")
    from bridgenet_ros.model import create_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "bridgenet_test.pt"
    save_checkpoint(path, create_model("test"), {"note": "test checkpoint"})
    return path
