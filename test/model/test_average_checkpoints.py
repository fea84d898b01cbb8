# SPDX-License-Identifier: Apache-2.0
"""scripts/average_checkpoints.py: the weighted mean of one architecture's weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from bridgenet_ros.model import create_model, load_model, save_checkpoint

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "average_checkpoints.py"
_spec = importlib.util.spec_from_file_location("average_checkpoints", _SCRIPT)
assert _spec is not None and _spec.loader is not None
average_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(average_script)


def _saved(path: Path, seed: int, variant: str = "lite", **overrides: object) -> Path:
    torch.manual_seed(seed)
    model = create_model(variant, **overrides)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.01 * torch.randn_like(param))
    save_checkpoint(path, model.eval(), {"step": seed})
    return path


def test_uniform_and_weighted_means_of_every_float_tensor(tmp_path: Path) -> None:
    a, b = _saved(tmp_path / "a.pt", 1), _saved(tmp_path / "b.pt", 2)
    out = tmp_path / "avg.pt"
    assert average_script.main([str(a), str(b), "--out", str(out)]) == 0
    sa, sb = load_model(a).state_dict(), load_model(b).state_dict()
    avg = load_model(out)
    assert avg.metadata["step"] == 1
    assert avg.metadata["averaged_from"] == [[str(a), 0.5], [str(b), 0.5]]
    floats = [k for k, v in sa.items() if v.is_floating_point()]
    assert floats and any(not torch.equal(sa[k], sb[k]) for k in floats)
    for key in floats:
        torch.testing.assert_close(avg.state_dict()[key], (sa[key] + sb[key]) / 2)
    weighted = tmp_path / "w.pt"
    average_script.average([a, b], weighted, [3.0, 1.0])  # normalised to 0.75 / 0.25
    for key in floats:
        expected = 0.75 * sa[key] + 0.25 * sb[key]
        torch.testing.assert_close(load_model(weighted).state_dict()[key], expected)


def test_refuses_other_architectures_and_bad_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _saved(tmp_path / "a.pt", 1)
    other = _saved(tmp_path / "hr.pt", 2, residual_gate=True, dsr_refine_channels=16)
    out = tmp_path / "avg.pt"
    assert average_script.main([str(a), str(other), "--out", str(out)]) == 2
    assert "dsr_refine_channels" in capsys.readouterr().err
    assert average_script.main([str(a), str(a), "--out", str(out), "--weights", "1"]) == 2
    assert "non-negative" in capsys.readouterr().err
    assert average_script.main([str(a), "--out", str(out)]) == 2
    assert not out.exists()


def test_a_renamed_variant_of_the_same_architecture_averages(tmp_path: Path) -> None:
    stage2 = dict(residual_gate=True, dsr_refine_channels=16, residual_deadband=0.003)
    shipped = _saved(tmp_path / "hr.pt", 1, variant="lite_hr")
    trained = _saved(tmp_path / "run.pt", 2, **stage2)
    out = tmp_path / "avg.pt"
    assert average_script.main([str(shipped), str(trained), "--out", str(out)]) == 0
    assert load_model(out).config.variant == "lite_hr"
