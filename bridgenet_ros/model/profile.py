# SPDX-License-Identifier: Apache-2.0
"""Count multiply-accumulates (MACs) of a network with forward hooks.

Counted: every ``nn.Conv2d`` (``out.numel() / B × C_in / groups × kH × kW`` per sample, bias
not counted) and ``nn.Linear`` (``out.numel() / B × in_features``). Not counted: activations,
pooling, element-wise sums and products (attention weighting, residual adds), means, softmax,
resizing and PixelShuffle; on these networks they are under a few percent of the conv MACs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["count_macs", "count_parameters"]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, *inputs: Tensor) -> int:
    """MACs of one forward pass per sample (batch size divided out).

    Args:
        model: the network; it is run once under ``torch.no_grad()``.
        *inputs: its inputs, e.g. ``rgb (B, 3, H, W)`` and ``depth_lr_up_norm (B, 1, H, W)``.

    Returns:
        Conv2d + Linear multiply-accumulates per sample (see the module docstring).
    """
    total = 0
    batch = int(inputs[0].shape[0]) if inputs and inputs[0].dim() > 0 else 1

    def conv_hook(module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Conv2d)
        kh, kw = module.kernel_size
        total += output.numel() // batch * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Linear)
        total += output.numel() // batch * module.in_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return total
