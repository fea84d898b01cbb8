# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the export tests: a tiny random-weight checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def test_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight ``test`` variant checkpoint."""
    torch = pytest.importorskip("torch", reason="torch is needed to build the test checkpoint")
    from bridgenet_ros.model import create_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "bridgenet_test.pt"
    save_checkpoint(path, create_model("test"), {"note": "export tests"})
    return path
