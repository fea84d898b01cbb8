# SPDX-License-Identifier: Apache-2.0
"""The optional full-resolution refinement head (``dsr_refine_channels``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bridgenet_ros.errors import ConfigError
from bridgenet_ros.model import create_model, load_matching_weights, save_checkpoint


def _inputs(height: int = 32, width: int = 48) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    rgb = torch.rand(1, 3, height, width, generator=generator)
    depth = torch.rand(1, 1, height, width, generator=generator)
    return rgb, depth


def test_grown_model_starts_as_the_model_it_grew_from(tmp_path: Path) -> None:
    base = create_model("test", residual_gate=True).eval()
    path = tmp_path / "base.pt"
    save_checkpoint(path, base)
    grown = create_model("test", residual_gate=True, dsr_refine_channels=4).eval()
    missing = load_matching_weights(grown, path)
    assert missing and all(name.startswith("dsr.refine.") for name in missing)
    rgb, depth = _inputs()
    with torch.no_grad():
        expected, got = base(rgb, depth), grown(rgb, depth)
    assert torch.equal(expected[0], got[0]) and torch.equal(expected[1], got[1])


def test_refine_head_sees_full_resolution_rgb() -> None:
    model = create_model("test", dsr_refine_channels=4).eval()
    last = model.dsr.refine[4]
    torch.nn.init.normal_(last.weight, std=0.1)
    rgb, depth = _inputs()
    changed = rgb.clone()
    changed[:, :, 10, 17] += 0.5  # one full-resolution RGB pixel
    with torch.no_grad():
        delta = (model(changed, depth)[0] - model(rgb, depth)[0]).abs()[0, 0]
    assert delta[9:12, 16:19].max() > 0  # the head's own receptive field moves
    assert model.dsr.refine[0].in_channels == 4 + 1 + 3  # head features, depth, rgb


def test_dsr_only_refine_head_has_no_rgb_input() -> None:
    model = create_model("dsr_only", dsr_refine_channels=4).eval()
    assert model.dsr.refine[0].in_channels == model.config.dsr_head_channels + 1
    rgb, depth = _inputs()
    assert model(rgb, depth)[0].shape == depth.shape


def test_negative_refine_width_is_rejected() -> None:
    with pytest.raises(ConfigError, match="dsr_refine_channels"):
        create_model("test", dsr_refine_channels=-1)


def test_deadband_drops_small_corrections_and_shrinks_large_ones() -> None:
    plain = create_model("test", sr_output_scale=1.0).eval()
    banded = create_model("test", sr_output_scale=1.0, residual_deadband=0.05).eval()
    banded.load_state_dict(plain.state_dict())
    rgb, depth = _inputs()
    with torch.no_grad():
        r_plain = plain(rgb, depth)[0] - depth
        r_banded = banded(rgb, depth)[0] - depth
    small = r_plain.abs() <= 0.05
    assert small.any() and (~small).any()
    assert torch.all(r_banded[small] == 0)
    expected = r_plain[~small] - 0.05 * torch.sign(r_plain[~small])
    assert torch.allclose(r_banded[~small], expected, atol=1e-6)


@pytest.mark.parametrize("value", [-0.001, 0.1, True])
def test_bad_deadband_is_rejected(value: object) -> None:
    with pytest.raises(ConfigError, match="residual_deadband"):
        create_model("test", residual_deadband=value)


def test_refine_blocks_start_as_the_identity_and_widen_the_view(tmp_path: Path) -> None:
    """``dsr_refine_blocks``: grown from a refined model it starts as that model.

    Trained, each block lets the head see 4 more full-resolution pixels each way.
    """
    torch.manual_seed(0)  # the reach checks need active ReLUs at the border pixels
    base = create_model("test", residual_gate=True, dsr_refine_channels=4).eval()
    torch.nn.init.normal_(base.dsr.refine[4].weight, std=0.1)  # a trained head
    path = tmp_path / "base.pt"
    save_checkpoint(path, base)
    grown = create_model(
        "test", residual_gate=True, dsr_refine_channels=4, dsr_refine_blocks=2
    ).eval()
    missing = load_matching_weights(grown, path)
    assert missing and all(name.startswith("dsr.refine_blocks.") for name in missing)
    rgb, depth = _inputs()
    with torch.no_grad():
        assert torch.equal(base(rgb, depth)[0], grown(rgb, depth)[0])
    for block in grown.dsr.refine_blocks:
        torch.nn.init.normal_(block.conv2.weight, std=0.1)
    features = torch.rand(1, grown.dsr.refine[0].in_channels, 32, 48)
    changed = features.clone()
    changed[:, :, 10, 17] += 0.5  # one full-resolution input pixel of the head
    with torch.no_grad():
        delta = (grown.dsr._refine(changed) - grown.dsr._refine(features)).abs()[0, 0]
        base_delta = (base.dsr._refine(changed) - base.dsr._refine(features)).abs()[0, 0]
    assert base_delta[10, 17 + 3].item() > 0.0 and base_delta[10, 17 + 4].item() == 0.0
    assert delta[10, 17 + 3 + 4].item() > 0.0  # two blocks: 4 more pixels each
    assert delta[10, 17 + 3 + 5].item() == 0.0


def test_refine_blocks_need_a_head() -> None:
    with pytest.raises(ConfigError, match="dsr_refine_blocks"):
        create_model("test", dsr_refine_blocks=1)
