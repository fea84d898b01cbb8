# SPDX-License-Identifier: Apache-2.0
"""Numerics of the bridges: CGBdg against the poster's formulas, HABdg's high-pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bridgenet_ros.errors import ShapeError
from bridgenet_ros.model.blocks import ChannelAttention, SpatialAttention
from bridgenet_ros.model.bridges import (
    ContentGuidanceBridge,
    HighFreqAttentionBridge,
    high_pass,
)


def _set_conv(conv: torch.nn.Conv2d, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weight).reshape(conv.weight.shape))
        assert conv.bias is not None
        conv.bias.copy_(torch.from_numpy(bias))


def test_cgbdg_matches_hand_computation() -> None:
    c_dsr, c_mde, c_diff, h, w = 3, 2, 2, 2, 3
    bridge = ContentGuidanceBridge(c_dsr, c_mde, c_diff)
    a_dsr = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]], np.float32)  # (c_diff, c_dsr)
    b_dsr = np.array([0.1, -0.2], np.float32)
    a_mde = np.array([[0.0, 1.0], [1.0, 1.0]], np.float32)  # (c_diff, c_mde)
    b_mde = np.array([0.0, 0.3], np.float32)
    a_diff = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], np.float32)  # (c_dsr, c_diff)
    b_diff = np.array([0.0, 0.5, -0.5], np.float32)
    _set_conv(bridge.embed_dsr, a_dsr, b_dsr)
    _set_conv(bridge.embed_mde, a_mde, b_mde)
    _set_conv(bridge.diff, a_diff, b_diff)

    rng = np.random.default_rng(1)
    fd_dsr = rng.normal(size=(1, c_dsr, h, w)).astype(np.float32)
    fd_mde = rng.normal(size=(1, c_mde, h, w)).astype(np.float32)

    expected = np.zeros_like(fd_dsr)
    for y in range(h):
        for x in range(w):
            v_dsr, v_mde = fd_dsr[0, :, y, x], fd_mde[0, :, y, x]
            m_dsr = a_dsr @ v_dsr + b_dsr
            m_mde = a_mde @ v_mde + b_mde
            logits = a_diff @ (m_dsr - m_mde) + b_diff
            w_diff = np.exp(logits) / np.exp(logits).sum()  # softmax over channels
            expected[0, :, y, x] = v_dsr + w_diff * v_dsr

    with torch.no_grad():
        got = bridge.content_guidance(torch.from_numpy(fd_dsr), torch.from_numpy(fd_mde))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_cgbdg_uniform_weights_when_diff_conv_is_zero() -> None:
    bridge = ContentGuidanceBridge(4, 3, 2)
    _set_conv(bridge.diff, np.zeros((4, 2), np.float32), np.zeros(4, np.float32))
    fd_dsr = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        got = bridge.content_guidance(fd_dsr, torch.randn(2, 3, 5, 5))
    torch.testing.assert_close(got, fd_dsr * (1 + 1 / 4))


def test_cgbdg_output_shape_and_grid_check() -> None:
    bridge = ContentGuidanceBridge(4, 6, 2)
    out = bridge(torch.randn(1, 4, 8, 8), torch.randn(1, 6, 8, 8))
    assert out.shape == (1, 6, 8, 8)
    with pytest.raises(ShapeError, match="CGBdg"):
        bridge(torch.randn(1, 4, 8, 8), torch.randn(1, 6, 4, 4))


def test_high_pass_removes_constants_and_keeps_edges() -> None:
    const = torch.full((1, 2, 6, 7), 3.5)
    torch.testing.assert_close(high_pass(const), torch.zeros_like(const))
    impulse = torch.zeros(1, 1, 5, 5)
    impulse[0, 0, 2, 2] = 9.0
    hp = high_pass(impulse)
    assert hp[0, 0, 2, 2].item() == pytest.approx(8.0)  # 9 - 9/9
    assert hp[0, 0, 1, 1].item() == pytest.approx(-1.0)
    assert hp[0, 0, 0, 0].item() == pytest.approx(0.0)


def test_habdg_attention_is_flat_on_constant_features() -> None:
    bridge = HighFreqAttentionBridge(4, 3)
    with torch.no_grad():
        bridge.attention.weight.normal_()
        assert bridge.attention.bias is not None
        bridge.attention.bias.zero_()
    # Constant MDE features have no high frequency: attention = sigmoid(0) = 0.5 everywhere,
    # so the output equals the fusion of the DSR features with half the MDE features.
    x_dsr, x_mde = torch.randn(1, 4, 8, 8), torch.full((1, 3, 8, 8), 2.0)
    with torch.no_grad():
        got = bridge(x_dsr, x_mde)
        expected = bridge.fusion(x_dsr, 0.5 * x_mde)
    torch.testing.assert_close(got, expected)
    with pytest.raises(ShapeError, match="HABdg"):
        bridge(torch.randn(1, 4, 8, 8), torch.randn(2, 3, 8, 8))


def test_channel_and_spatial_attention_numerics() -> None:
    ca = ChannelAttention(4, reduction=2)
    for conv in (ca.fc1, ca.fc2):
        _set_conv(
            conv, np.zeros(conv.weight.shape, np.float32), np.zeros(conv.out_channels, np.float32)
        )
    x = torch.randn(1, 4, 3, 3)
    torch.testing.assert_close(ca(x), 0.5 * x)  # sigmoid(0)
    sa = SpatialAttention()
    weight = np.zeros((1, 2, 7, 7), np.float32)
    weight[0, 1, 3, 3] = 1.0  # pick the channel maximum at the same pixel
    _set_conv(sa.conv, weight, np.zeros(1, np.float32))
    x = torch.randn(1, 3, 4, 4)
    expected = x * torch.sigmoid(x.amax(dim=1, keepdim=True))
    torch.testing.assert_close(sa(x), expected)
