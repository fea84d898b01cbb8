#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""The issue-12 campaign's validation curve against cumulative training hours.

Issue 12 may close on "a measured plateau over at least 20 hours of training"; this script
measures it from the committed run folders instead of from notes. Each run folder holds
``log.csv`` (``val`` rows: in-loop validation RMSE in metres of the weights that are saved,
``elapsed_s``: the trainer clock, kept across resumes) and ``config.yaml``. Runs are placed
end to end in the order given, so a run's hours start where the previous run's ended.

Two tables come out (markdown):

* per run: hours, steps, first / best / last in-loop validation RMSE;
* the lineage's best validation so far at each whole campaign hour, counting only runs that
  share the first run's validator (the ``val:`` section of its config) and are not side runs:
  ablations (variant ``dsr_only``: another network, trained to compare, never shipped) and
  probes (folders named ``probe_*``: a question, not a candidate). Side runs' hours still count
  as campaign hours, as they are hours the campaign spent.

    python scripts/campaign_curve.py campaign/lite_gate campaign/lite_hr \
        campaign/lite_hr_holes campaign/dsr_only_hr
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bridgenet_ros.train.logging import read_csv_log

#: variants trained to compare against, never part of the shipped lineage
ABLATION_VARIANTS = ("dsr_only",)


@dataclass(frozen=True)
class RunCurve:
    """One run folder's validation points; hours are the trainer clock from the run's start."""

    name: str
    validator: str
    ablation: bool  # a side run: an ablation or a probe, never part of the shipped lineage
    hours: float
    steps: int
    points: list[tuple[int, float, float]]  # (step, hours into the run, val RMSE in metres)


def _validator_key(val: dict[str, object]) -> str:
    """The ``val:`` section as a comparable string; empty fields (later defaults) dropped."""
    return json.dumps({k: v for k, v in val.items() if v not in (None, [], {})}, sort_keys=True)


def read_run(run_dir: Path) -> RunCurve:
    """Read ``run_dir``'s log and config; ValueError naming the folder when either is missing."""
    log, config = run_dir / "log.csv", run_dir / "config.yaml"
    if not log.is_file() or not config.is_file():
        raise ValueError(f"{run_dir} is not a training run: it needs log.csv and config.yaml")
    rows = read_csv_log(log)
    timed = [r for r in rows if r.get("elapsed_s")]
    if not timed:
        raise ValueError(f"{log} has no timed rows: has the run logged anything yet?")
    points = [
        (int(r["step"]), float(r["elapsed_s"]) / 3600.0, float(r["val_rmse_m"]))
        for r in rows
        if r["kind"] == "val" and r.get("val_rmse_m")
    ]
    settings = yaml.safe_load(config.read_text()) or {}
    return RunCurve(
        name=run_dir.name,
        validator=_validator_key(settings.get("val") or {}),
        ablation=settings.get("variant") in ABLATION_VARIANTS or run_dir.name.startswith("probe_"),
        hours=max(float(r["elapsed_s"]) for r in timed) / 3600.0,
        steps=max(int(r["step"]) for r in timed),
        points=points,
    )


def run_table(runs: list[RunCurve]) -> list[str]:
    """Markdown rows: one per run, with its hours and first / best / last validation."""
    lines = [
        "| run | validator | hours | steps | val first | val best (step) | val last |",
        "|---|---|---|---|---|---|---|",
    ]
    validators = {v: i + 1 for i, v in enumerate(dict.fromkeys(r.validator for r in runs))}
    for run in runs:
        kind = " (side run)" if run.ablation else ""
        if run.points:
            best = min(run.points, key=lambda p: p[2])
            vals = f"{run.points[0][2]:.5f} | {best[2]:.5f} ({best[0]}) | {run.points[-1][2]:.5f}"
        else:
            vals = "– | – | –"
        lines.append(
            f"| {run.name}{kind} | {validators[run.validator]} | {run.hours:.2f} | "
            f"{run.steps} | {vals} |"
        )
    return lines


def lineage_best_by_hour(runs: list[RunCurve]) -> list[tuple[int, float | None, str]]:
    """(campaign hour, lineage best validation so far, runs trained in that hour) per hour."""
    offset, timeline, spans = 0.0, [], []
    for run in runs:
        if not run.ablation and run.validator == runs[0].validator:
            timeline += [(offset + hours, rmse) for _, hours, rmse in run.points]
        spans.append((offset, offset + run.hours, run.name))
        offset += run.hours
    out: list[tuple[int, float | None, str]] = []
    for hour in range(1, int(offset) + 1):
        seen = [rmse for at, rmse in timeline if at <= hour]
        names = ", ".join(name for start, end, name in spans if start < hour and end > hour - 1)
        out.append((hour, min(seen) if seen else None, names))
    return out


def plateau_table(runs: list[RunCurve]) -> list[str]:
    """Markdown rows: lineage best so far per campaign hour, and its change over that hour."""
    lines = [
        "| campaign hour | trained | lineage best val RMSE (m) | change in that hour |",
        "|---|---|---|---|",
    ]
    previous: float | None = None
    for hour, best, names in lineage_best_by_hour(runs):
        shown = f"{best:.5f}" if best is not None else "–"
        change = f"{100.0 * (best / previous - 1.0):+.2f} %" if best and previous else "–"
        lines.append(f"| {hour} | {names} | {shown} | {change} |")
        previous = best if best is not None else previous
    total = sum(r.hours for r in runs)
    lines.append(f"\nCampaign training: {total:.2f} h in {len(runs)} runs.")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print both tables for the run folders given; 2 when one is not a run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders, in training order")
    args = parser.parse_args(argv)
    try:
        runs = [read_run(path) for path in args.runs]
    except ValueError as error:
        print(f"campaign_curve: {error}", file=sys.stderr)
        return 2
    print("\n".join(run_table(runs) + [""] + plateau_table(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
