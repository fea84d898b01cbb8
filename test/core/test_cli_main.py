# SPDX-License-Identifier: Apache-2.0
"""The ``bridgenet`` dispatcher: help lists subcommands, exit codes follow the convention."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
