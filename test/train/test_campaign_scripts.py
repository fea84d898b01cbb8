# SPDX-License-Identifier: Apache-2.0
"""scripts/campaign_cpu.sh + campaign_stop.sh: start a run, stop it gracefully, find it saved."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from bridgenet_ros.train.logging import read_csv_log

REPO = Path(__file__).resolve().parents[2]

#: the tiny config's run-specific lines: a schedule that does not end, no periodic checkpoint
#: (the stop must save), one DataLoader worker (the process `pkill -f` would also have hit)
LONG_RUN = "steps: 100000\ncheckpoint_every: 100000\nnum_workers: 1\nthreads: 1\n"


def _wait_for_rows(log: Path, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the campaign exited on its own"
        if log.exists() and len(read_csv_log(log)) >= 3:
            return
        time.sleep(0.2)
    raise AssertionError("no training rows within the timeout")


def test_stop_script_ends_the_run_saved_and_resumable(
    tmp_path: Path, tiny_train_yaml: Callable[[str], Path]
) -> None:
    config, run_dir = tiny_train_yaml(LONG_RUN), tmp_path / "run"
    env = dict(
        os.environ,
        CONFIG=str(config),
        RUN_DIR=str(run_dir),
        PY=sys.executable,
        PYTHONPATH=str(REPO),
        NICE="0",
    )
    start = [str(REPO / "scripts" / "campaign_cpu.sh")]
    proc = subprocess.Popen(start, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_rows(run_dir / "log.csv", proc)
        assert int((run_dir / "trainer.pid").read_text()) == proc.pid  # exec keeps the pid
        stop = subprocess.run(
            [str(REPO / "scripts" / "campaign_stop.sh")], env=env, capture_output=True, timeout=120
        )
    finally:
        if proc.poll() is None:
            proc.kill()
    assert stop.returncode == 0, stop.stderr.decode()
    assert proc.wait(timeout=10) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert not (run_dir / "trainer.pid").exists()
    state = torch.load(run_dir / "state.pt", weights_only=True)
    assert state["step"] >= 3  # saved at the stop although checkpoint_every is 100,000
    again = subprocess.run(
        [str(REPO / "scripts" / "campaign_stop.sh")], env=env, capture_output=True, timeout=30
    )
    assert again.returncode == 1 and b"no " in again.stderr
