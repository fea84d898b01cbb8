# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the evaluation tests: the shipped model files (their absence is a failure)."""

from __future__ import annotations

from pathlib import Path

import pytest


def _shipped_file(repo_root: Path, name: str) -> Path:
    path = repo_root / "models" / name
    assert path.is_file(), f"{path} is missing: ship the trained model (see models/README.md)"
    assert path.stat().st_size <= 20 * 1024 * 1024, "a shipped model must be <= 20 MB"
    return path


@pytest.fixture(scope="module")
def shipped(repo_root: Path) -> Path:
    """``models/bridgenet_lite.pt``, the default model."""
    return _shipped_file(repo_root, "bridgenet_lite.pt")


@pytest.fixture(scope="module")
def lite_hr(repo_root: Path) -> Path:
    """``models/bridgenet_lite_hr.pt``, the second shipped model."""
    return _shipped_file(repo_root, "bridgenet_lite_hr.pt")
