# SPDX-License-Identifier: Apache-2.0
"""scripts/campaign_curve.py: validation against cumulative campaign hours, from run folders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "campaign_curve.py"
_spec = importlib.util.spec_from_file_location("campaign_curve", _SCRIPT)
assert _spec is not None and _spec.loader is not None
curve = importlib.util.module_from_spec(_spec)
sys.modules["campaign_curve"] = curve  # dataclasses look their module up there
_spec.loader.exec_module(curve)

HEADER = (
    "step,kind,loss,loss_sr,loss_mde,lr,grad_norm,steps_per_s,val_rmse_m,val_mae_m,elapsed_s\n"
)


def _run(
    root: Path, name: str, vals: list[tuple[int, float, float]], end_s: float, config: str
) -> Path:
    """A run folder whose ``val`` rows are (step, elapsed s, RMSE m), last train row at end_s."""
    folder = root / name
    folder.mkdir()
    rows = [f"{step},val,,,,,,,{rmse},0.01,{at}\n" for step, at, rmse in vals]
    last_step = vals[-1][0] + 10 if vals else 10
    rows.append(f"{last_step},train,0.1,0.1,0,1e-4,0.1,2.0,,,{end_s}\n")
    (folder / "log.csv").write_text(HEADER + "".join(rows))
    (folder / "config.yaml").write_text(config)
    return folder


LINEAGE = "variant: lite\nval: {set: rgbdd, scales: [4, 8, 16]}\n"
ABLATION = "variant: dsr_only\nval: {set: rgbdd, scales: [4, 8, 16], extra_sensor_models: []}\n"
OTHER_VALIDATOR = "variant: lite\nval: {set: rgbdd, scales: [4]}\n"


def test_lineage_best_counts_ablation_hours_but_not_its_scores(tmp_path: Path) -> None:
    first = _run(tmp_path, "a", [(100, 1800, 0.060), (200, 5400, 0.050)], 7200, LINEAGE)
    ablation = _run(tmp_path, "b", [(100, 1800, 0.010)], 3600, ABLATION)
    other = _run(tmp_path, "c", [(100, 1800, 0.001)], 3600, OTHER_VALIDATOR)
    probe = _run(tmp_path, "probe_x", [(100, 1800, 0.002)], 3600, LINEAGE)
    third = _run(tmp_path, "d", [(100, 1800, 0.040)], 3600, LINEAGE)
    runs = [curve.read_run(p) for p in (first, ablation, other, probe, third)]
    assert [r.hours for r in runs] == [2.0, 1.0, 1.0, 1.0, 1.0]
    assert runs[1].ablation and runs[3].ablation and not runs[0].ablation
    assert runs[1].validator == runs[0].validator  # an empty later-default field is ignored
    by_hour = curve.lineage_best_by_hour(runs)
    assert [hour for hour, _, _ in by_hour] == [1, 2, 3, 4, 5, 6]
    # points at 0.5 h, 1.5 h (run a), 5.5 h (run d: after a's 2 h and b's, c's, probe's hour);
    # the ablation's 0.010, the other validator's 0.001 and the probe's 0.002 never count
    assert [best for _, best, _ in by_hour] == [0.060, 0.050, 0.050, 0.050, 0.050, 0.040]
    assert [names for _, _, names in by_hour] == ["a", "a", "b", "c", "probe_x", "d"]


def test_last_run_point_lands_at_its_campaign_hour(tmp_path: Path) -> None:
    first = _run(tmp_path, "a", [(100, 1800, 0.060)], 3600, LINEAGE)
    second = _run(tmp_path, "b", [(100, 1800, 0.030), (200, 3600, 0.020)], 3600, LINEAGE)
    table = curve.plateau_table([curve.read_run(first), curve.read_run(second)])
    assert "| 2 | b | 0.02000 | -66.67 % |" in table
    assert table[-1].strip() == "Campaign training: 2.00 h in 2 runs."


def test_run_table_names_best_step_and_marks_ablations(tmp_path: Path) -> None:
    run = _run(
        tmp_path, "abl", [(100, 60, 0.07), (200, 120, 0.05), (300, 180, 0.06)], 200, ABLATION
    )
    lines = curve.run_table([curve.read_run(run)])
    assert lines[2] == "| abl (side run) | 1 | 0.06 | 310 | 0.07000 | 0.05000 (200) | 0.06000 |"


def test_missing_folder_is_a_clear_error_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="needs log.csv and config.yaml"):
        curve.read_run(tmp_path / "nothing")
    assert curve.main([str(tmp_path / "nothing")]) == 2
    assert "is not a training run" in capsys.readouterr().err
