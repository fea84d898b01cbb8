# SPDX-License-Identifier: Apache-2.0
"""The ``bridgenet`` dispatcher: help lists subcommands, exit codes follow the convention."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bridgenet_ros.blas import limit_blas_threads
from bridgenet_ros.cli.main import SUBCOMMANDS, main


def test_help_lists_every_subcommand() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bridgenet_ros.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0
    for name in SUBCOMMANDS:
        assert name in proc.stdout, f"subcommand {name} missing from --help:\n{proc.stdout}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_unknown_command_is_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_info_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "bridgenet_ros" in out and "numpy" in out and "tensorrt" in out


@pytest.mark.parametrize(("user_value", "expected"), [(None, "1"), ("3", "3")])
def test_main_limits_blas_threads_not_the_import(user_value: str | None, expected: str) -> None:
    code = (
        "import os, sys\n"
        "import bridgenet_ros.cli.main as cli\n"
        "assert os.environ.get('OPENBLAS_NUM_THREADS') == os.environ.get('USER_VALUE')\n"
        "assert 'numpy' not in sys.modules\n"
        "assert cli.main([]) == 2\n"  # builds the parser: every subcommand module is imported
        "print('BLAS', os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if user_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env["USER_VALUE"] = user_value
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert f"BLAS {expected}" in proc.stdout.splitlines()


def test_limit_blas_threads_says_when_it_is_too_late(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy  # noqa: F401  (loaded: OpenBLAS has read its setting already)

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert limit_blas_threads() is False
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
