# SPDX-License-Identifier: Apache-2.0
"""The residual gate: shapes, numerics at init, gradients, and growing a trained checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bridgenet_ros.errors import CheckpointError
from bridgenet_ros.model import create_model, load_matching_weights, save_checkpoint
from bridgenet_ros.model.dsrnet import GATE_INIT_LOGIT


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48)


def test_gate_scales_the_correction_per_pixel() -> None:
    torch.manual_seed(1)
    model = create_model("test", residual_gate=True).eval()
    rgb, depth = _inputs()
    assert model.dsr.gate is not None
    gate_conv = model.dsr.gate[0]
    assert isinstance(gate_conv, torch.nn.Conv2d)
    with torch.no_grad():
        gated = model(rgb, depth)[0]
        gate_conv.bias.fill_(-30.0)  # gate shut: the output is the up-sampled input
        gate_conv.weight.zero_()
        shut = model(rgb, depth)[0]
    assert gated.shape == (1, 1, 32, 48)
    torch.testing.assert_close(shut, depth, atol=1e-6, rtol=0)
    assert (gated - depth).abs().max() > 1e-4


def test_every_gate_parameter_gets_a_gradient() -> None:
    model = create_model("test", residual_gate=True)
    rgb, depth = _inputs()
    sr, mde = model(rgb, depth)
    (sr.square().mean() + mde.square().mean()).backward()
    assert model.dsr.gate is not None
    for name, param in model.dsr.gate.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_gate_grown_on_a_trained_checkpoint_starts_nearly_open(tmp_path: Path) -> None:
    torch.manual_seed(2)
    base = create_model("test").eval()
    path = save_checkpoint(tmp_path / "base.pt", base, {})
    grown = create_model("test", residual_gate=True).eval()
    new = load_matching_weights(grown, path)
    assert new and all(name.startswith("dsr.gate.") for name in new)
    rgb, depth = _inputs()
    with torch.no_grad():
        before = base(rgb, depth)[0] - depth
        after = grown(rgb, depth)[0] - depth
    # the gate starts at about sigmoid(GATE_INIT_LOGIT) everywhere (weights scaled to 0.1)
    open_fraction = torch.sigmoid(torch.tensor(GATE_INIT_LOGIT)).item()
    ratio = (after.abs().sum() / before.abs().sum()).item()
    assert abs(ratio - open_fraction) < 0.05, ratio


def test_checkpoint_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "lite.pt", create_model("test", dsr_trunk_blocks=2), {})
    with pytest.raises(CheckpointError, match="does not fit"):
        load_matching_weights(create_model("test"), path)


def test_training_extends_init_checkpoint_with_model_overrides(tmp_path: Path) -> None:
    from bridgenet_ros.config_io import from_mapping
    from bridgenet_ros.train.config import TrainConfig
    from bridgenet_ros.train.trainer import _build_model

    path = save_checkpoint(tmp_path / "base.pt", create_model("test"), {})
    config = from_mapping(
        TrainConfig,
        {"variant": "test", "init_checkpoint": str(path), "model": {"residual_gate": True}},
    )
    model = _build_model(config)
    assert model.config.residual_gate and model.dsr.gate is not None and model.training
