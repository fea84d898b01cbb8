# SPDX-License-Identifier: Apache-2.0
"""``make test-compat`` without Python 3.10: fails loudly in CI, skips with the reason locally."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _compat_without_python(ci: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MAKEFLAGS", "MAKELEVEL")}
    env["CI"] = ci
    return subprocess.run(
        ["make", "--no-print-directory", "test-compat", "COMPAT_PYTHON="],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_compat_fails_in_ci_without_python_310() -> None:
    proc = _compat_without_python("true")
    assert proc.returncode != 0
    assert "test-compat needs Python 3.10" in proc.stderr


def test_compat_skips_locally_without_python_310() -> None:
    proc = _compat_without_python("")
    assert proc.returncode == 0, proc.stderr
    assert "test-compat SKIPPED" in proc.stdout
