# SPDX-License-Identifier: Apache-2.0
"""The MAC counter, and the lite variant's 5 GMAC budget at 480×640."""

from __future__ import annotations

import torch
from torch import nn

from bridgenet_ros.model import create_model
from bridgenet_ros.model.profile import count_macs, count_parameters


def test_counts_conv_and_linear_by_hand() -> None:
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),  # 8*10*12 outputs x 3*3*3
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2),  # 8*5*6 x 4*3*3
        nn.Flatten(),
        nn.Linear(8 * 5 * 6, 7),  # 7 x 240
    )
    expected = 8 * 10 * 12 * 27 + 8 * 5 * 6 * 36 + 7 * 240
    assert count_macs(net, torch.rand(2, 3, 10, 12)) == expected
    assert count_parameters(net) == sum(p.numel() for p in net.parameters())
    # Hooks are removed afterwards.
    assert all(not m._forward_hooks for m in net.modules())


def test_macs_scale_with_pixel_count() -> None:
    model = create_model("test").eval()
    small = count_macs(model, torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48))
    large = count_macs(model, torch.rand(1, 3, 64, 96), torch.rand(1, 1, 64, 96))
    # Only the per-image 1×1 convs on spatial means (channel attention, fusion gates) do not
    # scale with the pixel count.
    assert 4 * small * 0.999 < large < 4 * small


def test_lite_within_5_gmacs_at_480x640() -> None:
    # Every grid scales with the input (96×128 and 480×640 both divide by the stride), so
    # 25 × the MACs at 96×128 bounds those at 480×640 from above (the per-image 1×1 convs on
    # spatial means are counted 25 times); counted small to stay fast.
    model = create_model("lite").eval()
    macs = 25 * count_macs(model, torch.rand(1, 3, 96, 128), torch.rand(1, 1, 96, 128))
    assert 3e9 < macs <= 5e9
    dsr_only = create_model("dsr_only").eval()
    macs_dsr = 25 * count_macs(dsr_only, torch.rand(1, 3, 96, 128), torch.rand(1, 1, 96, 128))
    assert macs_dsr < macs


def test_residual_gate_costs_under_one_percent_of_lite() -> None:
    inputs = (torch.rand(1, 3, 96, 128), torch.rand(1, 1, 96, 128))
    plain = count_macs(create_model("lite").eval(), *inputs)
    gated = count_macs(create_model("lite", residual_gate=True).eval(), *inputs)
    # one 3x3 conv d2 (12) -> 4 at half resolution: 12 * 4 * 9 * 48 * 64 MACs here
    assert gated - plain == 12 * 4 * 9 * 48 * 64
    assert 25 * gated <= 5e9 and gated - plain < 1e-2 * plain


def test_lite_hr_refinement_head_cost() -> None:
    inputs = (torch.rand(1, 3, 96, 128), torch.rand(1, 1, 96, 128))
    gated = count_macs(create_model("lite", residual_gate=True).eval(), *inputs)
    hr = count_macs(create_model("lite_hr").eval(), *inputs)
    # three full-resolution 3x3 convs: (8 head + 1 depth + 3 rgb) -> 16 -> 16 -> 1
    assert hr - gated == (12 * 16 + 16 * 16 + 16) * 9 * 96 * 128
    assert 25 * hr < 6.2e9
