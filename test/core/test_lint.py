# SPDX-License-Identifier: Apache-2.0
"""Linting a ROS package carries: ruff (pycodestyle, pyflakes, pep257 docstrings) and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_clean() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "bridgenet_ros",
            "test",
            "launch",
            "scripts",
            "setup.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_ruff_format_clean() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "--no-cache",
            "bridgenet_ros",
            "test",
            "launch",
            "scripts",
            "setup.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, "run `ruff format`:\n" + proc.stdout[-6000:] + proc.stderr[-2000:]


def test_mypy_clean() -> None:
    # incremental, with mypy's cache in .mypy_cache (git-ignored): a fresh clone pays the full
    # check (~10 s on 2 idle cores), a rerun ~2 s
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "bridgenet_ros"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_every_source_file_has_spdx_line() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for folder in ("bridgenet_ros", "test", "launch", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if "SPDX-License-Identifier" not in path.read_text().splitlines()[0:2].__str__()
    ]
    assert not missing, f"files without an SPDX licence line: {missing}"
