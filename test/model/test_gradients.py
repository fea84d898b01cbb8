# SPDX-License-Identifier: Apache-2.0
"""Every parameter of every variant learns; gradients cross both bridges."""

from __future__ import annotations

import pytest
import torch

from bridgenet_ros.model import create_model, variant_names
from bridgenet_ros.model.bridgenet import BridgeNet


def _backward(model: BridgeNet, loss_on: str, size: int = 32, batch: int = 2) -> None:
    torch.manual_seed(0)
    outputs = model(torch.rand(batch, 3, size, size), torch.rand(batch, 1, size, size))
    target = torch.rand(batch, 1, size, size)
    if loss_on == "sr":
        loss = (outputs[0] - target).abs().mean()
    elif loss_on == "mde":
        loss = (outputs[1] - target).abs().mean()
    else:
        loss = sum((out - target).abs().mean() for out in outputs)
    assert isinstance(loss, torch.Tensor)
    loss.backward()


def _without_grad(model: BridgeNet, prefix: str = "") -> list[str]:
    return [
        name
        for name, p in model.named_parameters()
        if name.startswith(prefix) and (p.grad is None or not torch.any(p.grad != 0))
    ]


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n == "paper" else n for n in variant_names()],
)
def test_every_parameter_gets_a_gradient(name: str) -> None:
    model = create_model(name)
    if model.dsr.refine is not None:
        # the refinement head's last conv starts at zero, so the layers before it get their
        # first gradient after one optimizer step; stand in for that step
        torch.nn.init.normal_(model.dsr.refine[4].weight, std=0.01)
    # The smallest legal size (16 = stride) keeps paper's 32 trunk blocks and lite fast.
    small = name != "test"
    _backward(model, "both", size=16 if small else 32, batch=1 if small else 2)
    assert _without_grad(model) == []


def test_sr_loss_reaches_mde_encoder_through_habdg() -> None:
    model = create_model("test")
    _backward(model, "sr")
    for prefix in (
        "habdg.0",
        "habdg.1",
        "habdg.2",
        "mde.stem",
        "mde.stages.0",
        "mde.stages.2",
        "dsr.",
    ):
        assert _without_grad(model, prefix) == [], prefix
    # Stage 4 and the MDE decoder do not feed depth_sr.
    assert model.mde is not None and model.mde.stages[3][1][0].conv1.weight.grad is None


def test_mde_loss_reaches_dsr_through_cgbdg() -> None:
    model = create_model("test")
    _backward(model, "mde")
    for prefix in (
        "cgbdg.0",
        "cgbdg.1",
        "dsr.first_conv",
        "dsr.stages",
        "dsr.trunk",
        "dsr.decoder.0",
        "dsr.decoder.1",
        "mde.",
    ):
        assert _without_grad(model, prefix) == [], prefix
    # The last DSR decoder step only makes depth_sr.
    assert model.dsr.decoder[2][0].weight.grad is None


def test_without_bridges_branches_are_independent() -> None:
    model = create_model("test", use_habdg=False, use_cgbdg=False)
    _backward(model, "sr")
    assert all(p.grad is None for p in model.mde.parameters())  # type: ignore[union-attr]


def test_dsr_decoder_cannot_die() -> None:
    """Decoder steps 1-2 keep a gradient even when every pre-activation is negative.

    A plain ReLU there died during training (dsr_only stayed exactly at bicubic): once all
    step-2 units are negative nothing reaches the encoder again. The leaky activation keeps it.
    """
    import torch

    from bridgenet_ros.model import create_model

    model = create_model("dsr_only")
    for step in (model.dsr.decoder[0], model.dsr.decoder[1]):
        step[0].bias.data.fill_(-100.0)
    depth = torch.rand(1, 1, 32, 32)
    out = model(torch.rand(1, 3, 32, 32), depth)[0]
    out.sum().backward()
    grad = model.dsr.first_conv.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0.0


def test_cgbdg_stop_gradient_keeps_the_mde_loss_out_of_the_dsr_branch() -> None:
    """Same outputs; the MDE loss then trains no DSR weight, the SR loss still trains HABdg."""
    torch.manual_seed(3)
    joint = create_model("test").eval()
    stopped = create_model("test", cgbdg_stop_gradient=True).eval()
    stopped.load_state_dict(joint.state_dict())
    rgb, depth = torch.rand(1, 3, 32, 32), torch.rand(1, 1, 32, 32)
    for a, b in zip(joint(rgb, depth), stopped(rgb, depth)):
        assert torch.equal(a, b)
    _backward(joint, "mde")
    assert _without_grad(joint, "dsr.") != [
        n for n, _ in joint.named_parameters() if n.startswith("dsr.")
    ]  # joint: MDE reaches DSR
    _backward(stopped, "mde")
    assert all(p.grad is None for n, p in stopped.named_parameters() if n.startswith("dsr."))
    stopped.zero_grad(set_to_none=True)
    _backward(stopped, "sr")
    assert _without_grad(stopped, "habdg.") == []
