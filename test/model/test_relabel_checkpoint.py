# SPDX-License-Identifier: Apache-2.0
"""scripts/relabel_checkpoint.py: a trained lite+overrides model is saved as the variant it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from bridgenet_ros.model import create_model, load_model, save_checkpoint

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "relabel_checkpoint.py"
_spec = importlib.util.spec_from_file_location("relabel_checkpoint", _SCRIPT)
assert _spec is not None and _spec.loader is not None
relabel_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relabel_script)

STAGE2 = dict(residual_gate=True, dsr_refine_channels=16, residual_deadband=0.003)


def _trained_lite_with_overrides(path: Path) -> torch.nn.Module:
    torch.manual_seed(0)
    model = create_model("lite", **STAGE2).to(memory_format=torch.channels_last)
    with torch.no_grad():  # non-zero refine head, as after training
        for param in model.parameters():
            param.add_(0.01 * torch.randn_like(param))
    save_checkpoint(path, model.eval(), {"step": 7})
    return model


def test_relabel_keeps_the_weights_under_the_variant_name(tmp_path: Path) -> None:
    source = tmp_path / "best.pt"
    model = _trained_lite_with_overrides(source)
    out = tmp_path / "shipped.pt"
    assert relabel_script.main([str(source), "--variant", "lite_hr", "--out", str(out)]) == 0
    shipped = load_model(out)
    assert shipped.config.variant == "lite_hr"
    assert shipped.metadata["step"] == 7
    assert shipped.metadata["relabelled_from"]["variant"] == "lite"
    assert all(v.is_contiguous() for v in shipped.state_dict().values())
    rgb, depth = torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(shipped(rgb, depth), model(rgb, depth))


def test_relabel_refuses_a_different_architecture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "best.pt"
    _trained_lite_with_overrides(source)
    out = tmp_path / "shipped.pt"
    assert relabel_script.main([str(source), "--variant", "lite", "--out", str(out)]) == 2
    assert "dsr_refine_channels" in capsys.readouterr().err
    assert not out.exists()
