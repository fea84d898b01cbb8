# SPDX-License-Identifier: Apache-2.0
"""The deployment graph: the whole per-frame pipeline as one ONNX graph (torch, export time).

:class:`PipelineGraph` wraps a BridgeNet and reproduces
:meth:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline.run` (model grid = RGB grid, output on the
RGB grid) with TensorRT-parser-friendly operators only, so TensorRT or onnxruntime's CUDA
provider runs all of it on the device:

1. LR input mask (:func:`~bridgenet_ros.runtime.normalize.lr_input_mask`): finite, positive,
   inside ``[min_depth, max_depth]`` (comparisons, so NaN/inf fail without IsNaN), the 8
   neighbour support test on shifted slices, the isolated-outlier rule with ReduceMin/Max;
2. normalization range (:func:`~bridgenet_ros.runtime.normalize.depth_range`) with the minimum
   span;
3. hole filling (:func:`~bridgenet_ros.runtime.fill.fill_holes`) exactly: every sigma level's
   normalized convolution is computed at once as banded Gaussian matrix products built from
   ``Range`` (the numpy code's own formulation), and each hole takes the first level whose weight
   exceeds the threshold; the mean valid depth where none does;
4. PIL-bicubic up-sampling (:func:`~bridgenet_ros.runtime.resize.resize`) as the dense weight
   matrices ``W_y @ x @ W_x^T`` built in the graph (Keys kernel a=-0.5 on pixel centres, rows
   normalized = PIL's dropped outside taps) -- exact for any LR and RGB size, where ONNX
   ``Resize`` cubic would leave TensorRT's exclude_outside support in doubt;
5. RGB to float 0..1, edge padding to the stride by ``Gather`` with clamped indices;
6. the network; crop; de-normalization;
7. with ``flat_guard``, :mod:`~bridgenet_ros.runtime.flat_guard`'s blend (window sums by
   slices, ``MaxPool``, the bicubic matrices for the weight);
8. validity (:func:`~bridgenet_ros.runtime.pipeline.support_mask`): LR mask dilated by
   ``MaxPool`` (2r+1), sampled at the nearest LR pixel by ``Gather``; finite; range limits;
   ``Where`` writes NaN.

Inputs ``rgb`` ``(H, W, 3)`` uint8 and ``depth_lr`` ``(h, w)`` float32 metres, both sizes dynamic.
Outputs (all float32): ``depth`` ``(H, W)``, ``depth_mde`` ``(H, W)`` (models with an MDE head),
``depth_lr_up`` ``(H, W)`` (the bicubic baseline, masked alike), ``depth_range`` ``(2,)`` (lo,
hi; meaningless when nothing is valid) and ``lr_dropped`` ``(3,)`` (invalid, out of range,
outlier counts). The settings (depth limits, fill, support radius) are baked in at export.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from bridgenet_ros.runtime.graph_pipeline import GraphSettings
from bridgenet_ros.runtime.normalize import (
    MIN_RELATIVE_SPAN,
    OUTLIER_REL_MARGIN,
    OUTLIER_REL_TOL,
)

__all__ = ["PipelineGraph"]

_BIG = 3.0e38  # stands for +inf in min/max reductions (TensorRT-safe finite constant)
_FLT_MAX = float(torch.finfo(torch.float32).max)
_MIN_WEIGHT = 1e-6  # runtime.fill._MIN_WEIGHT


def _arange(n: Tensor | int, like: Tensor) -> Tensor:
    """``[0, n)`` float32 (``n`` may be a traced size): an integer ``Range`` then ``Cast``.

    TensorRT's parser takes a floating-point ``Range`` only with constant bounds.
    """
    return torch.arange(n, device=like.device).float()


def _has_close_neighbour(depth: Tensor, usable: Tensor) -> Tensor:
    """``(h, w)`` bool, as ``normalize._has_close_neighbour``: 8 shifted slices of a padded map."""
    h, w = depth.shape[0], depth.shape[1]
    center = torch.where(usable, depth, torch.zeros_like(depth))
    pad_depth = nn.functional.pad(center[None, None], (1, 1, 1, 1))[0, 0]
    pad_usable = nn.functional.pad(usable.float()[None, None], (1, 1, 1, 1))[0, 0] > 0.5
    tol = OUTLIER_REL_TOL * center.abs()
    found = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            nb = pad_depth[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
            ok = pad_usable[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
            found.append(ok & ((nb - center).abs() <= tol))
    any_found = found[0]
    for item in found[1:]:
        any_found = any_found | item
    return any_found & usable


def _any(mask: Tensor) -> Tensor:
    """0-d bool ``mask.any()`` through a float ``ReduceMax`` (TensorRT reduces floats)."""
    return mask.float().max() > 0.5


def _masked_min_max(depth: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Min and max of ``depth`` over ``mask`` (``+BIG``/``-BIG`` when the mask is empty)."""
    lo = torch.where(mask, depth, torch.full_like(depth, _BIG)).min()
    hi = torch.where(mask, depth, torch.full_like(depth, -_BIG)).max()
    return lo, hi


def lr_mask_graph(
    depth: Tensor, min_depth: float | None, max_depth: float | None
) -> tuple[Tensor, Tensor, Tensor]:
    """``(mask, in_range, valid)`` of ``normalize.lr_input_mask`` for a ``(h, w)`` float map."""
    valid = (depth > 0) & (depth <= _FLT_MAX)  # NaN and +-inf fail both comparisons
    in_range = valid
    if min_depth is not None:
        in_range = in_range & (depth >= float(min_depth))
    if max_depth is not None:
        in_range = in_range & (depth <= float(max_depth))
    supported = _has_close_neighbour(depth, in_range)
    lo, hi = _masked_min_max(depth, supported)
    span = hi - lo
    above = hi + torch.maximum(span, OUTLIER_REL_MARGIN * hi.abs())
    below = lo - torch.maximum(span, OUTLIER_REL_MARGIN * lo.abs())
    far = (depth > above) | (depth < below)
    outlier = in_range & ~supported & far & _any(supported)
    return in_range & ~outlier, in_range, valid


def depth_range_graph(depth: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """``(lo, hi)`` of ``normalize.depth_range``; ``(0, 1)`` when the mask is empty."""
    lo, hi = _masked_min_max(depth, mask)
    any_valid = _any(mask)
    lo = torch.where(any_valid, lo, torch.zeros_like(lo))
    hi = torch.where(any_valid, hi, torch.ones_like(hi))
    min_span = MIN_RELATIVE_SPAN * torch.maximum(hi.abs(), torch.ones_like(hi))
    narrow = (hi - lo) < min_span
    mid = 0.5 * (hi + lo)
    return (
        torch.where(narrow, mid - 0.5 * min_span, lo),
        torch.where(narrow, mid + 0.5 * min_span, hi),
    )


def gaussian_matrices(n: Tensor | int, sigmas: Tensor, like: Tensor) -> Tensor:
    """``(L, n, n)`` banded Gaussians of ``fill.gaussian_matrix`` for each sigma in ``sigmas``."""
    idx = _arange(n, like)
    dist = idx[:, None] - idx[None, :]
    sig = sigmas[:, None, None]
    scaled = dist[None] / sig
    weights = torch.exp(-0.5 * scaled * scaled)
    return torch.where(dist[None].abs() > 3.0 * sig + 0.5, torch.zeros_like(weights), weights)


def fill_graph(depth: Tensor, mask: Tensor, sigma_px: float, max_iterations: int) -> Tensor:
    """``fill.fill_holes`` for a ``(h, w)`` map: all sigma levels at once, first usable wins."""
    sigmas = torch.tensor(
        [sigma_px * 2.0**k for k in range(max_iterations + 1)], dtype=torch.float32
    )
    values = torch.where(mask, depth, torch.zeros_like(depth))
    weights = mask.float()
    gy = gaussian_matrices(depth.shape[0], sigmas, depth)  # (L, h, h)
    gx = gaussian_matrices(depth.shape[1], sigmas, depth)  # (L, w, w)
    stacked = torch.stack([values, weights])[None]  # (1, 2, h, w)
    blurred = torch.matmul(torch.matmul(gy[:, None], stacked), gx[:, None].transpose(-1, -2))
    num, den = blurred[:, 0], blurred[:, 1]  # (L, h, w)
    ratio = num / torch.where(den > _MIN_WEIGHT, den, torch.ones_like(den))
    count = weights.sum()
    filled = values.sum() / torch.maximum(count, torch.ones_like(count)) + 0.0 * depth
    for level in range(max_iterations, -1, -1):  # index float maps: Gather on bool is not TRT's
        filled = torch.where(den[level] > _MIN_WEIGHT, ratio[level], filled)
    return torch.where(mask, depth, filled)


def _cubic(x: Tensor) -> Tensor:
    """PIL's bicubic kernel (Keys, a = -0.5), zero for ``|x| >= 2``."""
    a = -0.5
    x = x.abs()
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    zero = torch.zeros_like(x)
    return torch.where(x < 1.0, near, torch.where(x < 2.0, far, zero))


def bicubic_matrix(n_in: Tensor | int, n_out: Tensor | int, like: Tensor) -> Tensor:
    """``(n_out, n_in)`` PIL bicubic weights for up-sampling (``n_in <= n_out``)."""
    src = _arange(n_in, like)
    dst = _arange(n_out, like)
    scale = (src.shape[0] + torch.zeros(1, device=like.device)) / dst.shape[0]
    center = (dst + 0.5) * scale
    weights = _cubic(src[None, :] + 0.5 - center[:, None])
    return weights / weights.sum(dim=1, keepdim=True)


def nearest_index(n_in: Tensor | int, n_out: Tensor | int, like: Tensor) -> Tensor:
    """int32 ``(n_out,)`` of ``min(floor((o + 0.5) * n_in / n_out), n_in - 1)``."""
    src_n = _arange(n_in, like).shape[0] + torch.zeros(1, device=like.device)
    dst = _arange(n_out, like)
    idx = torch.floor((dst + 0.5) * src_n / dst.shape[0])
    return torch.minimum(idx, src_n - 1.0).int()


def support_graph(mask: Tensor, out_hw: tuple[Any, Any], radius: int | None) -> Tensor:
    """``pipeline.support_mask``: dilation by MaxPool, nearest sampling by Gather."""
    if radius is None:
        return torch.ones(out_hw, device=mask.device) > 0.5
    grown = mask.float()[None, None]
    if radius > 0:
        grown = nn.functional.max_pool2d(grown, 2 * radius + 1, stride=1, padding=radius)
    rows = nearest_index(mask.shape[0], out_hw[0], grown)
    cols = nearest_index(mask.shape[1], out_hw[1], grown)
    return grown[0, 0].index_select(0, rows).index_select(1, cols) > 0.5


def _window_sums(padded: Tensor, weights: tuple[float, float, float], dim: int) -> Tensor:
    """``flat_guard._window_sums``: weighted sum of 3 neighbours along ``dim`` (padded by 1)."""
    n = padded.shape[dim] - 2
    parts = [padded.narrow(dim, k, n) for k in range(3)]
    return sum(w * p for w, p in zip(weights, parts) if w != 0.0)  # type: ignore[return-value]


def _extend_linear(z: Tensor, dim: int) -> Tensor:
    """Pad ``z`` by one along ``dim`` with ``2 z_0 - z_1`` at both ends (numpy's odd reflection).

    The neighbour indices are clamped, so a size-1 axis repeats its value, as numpy does.
    """
    last = _arange(z.shape[dim], z).shape[0] - 1.0 + torch.zeros(1, device=z.device)
    ends = torch.cat([torch.zeros_like(last), last]).int()  # 0, n - 1
    inner = torch.cat([torch.minimum(torch.ones_like(last), last), _at_least(last - 1.0, 0.0)])
    outer = 2.0 * z.index_select(dim, ends) - z.index_select(dim, inner.int())
    return torch.cat([outer.narrow(dim, 0, 1), z, outer.narrow(dim, 1, 1)], dim)


def _pad_linear(z: Tensor) -> Tensor:
    """Pad a ``(h, w)`` map by one pixel on each side with :func:`_extend_linear`."""
    return _extend_linear(_extend_linear(z, 0), 1)


def _at_least(x: Tensor, low: float) -> Tensor:
    """``max(x, low)`` by ``Max`` (``torch.clamp`` exports ``Clip``, kept out of the graph)."""
    return torch.maximum(x, torch.full_like(x, low))


def _unit_interval(x: Tensor) -> Tensor:
    """``x`` clipped to 0..1 by ``Max``/``Min``."""
    return torch.minimum(_at_least(x, 0.0), torch.ones_like(x))


def _max3(x: Tensor) -> Tensor:
    """3x3 maximum of a ``(h, w)`` map (border: the pixels inside), by ``MaxPool``."""
    return nn.functional.max_pool2d(x[None, None], 3, stride=1, padding=1)[0, 0]


def flat_guard_weight_graph(filled: Tensor, mask: Tensor, lo: float, hi: float) -> Tensor:
    """``flat_guard.guard_weight_lr`` of a ``(h, w)`` filled LR map, in float32."""
    offset = filled.mean()
    z = _pad_linear(filled - offset)
    box, ramp = (1.0, 1.0, 1.0), (-1.0, 0.0, 1.0)
    rows_box = _window_sums(z, box, 0)
    s = _window_sums(rows_box, box, 1)
    s2 = _window_sums(_window_sums(z * z, box, 0), box, 1)
    su = _window_sums(rows_box, ramp, 1)
    sv = _window_sums(_window_sums(z, ramp, 0), box, 1)
    res2 = _at_least(s2 - s * s / 9.0 - su * su / 6.0 - sv * sv / 6.0, 0.0) / 9.0
    rel = torch.sqrt(res2) / _at_least((s / 9.0 + offset).abs(), 1e-12)
    weight = _unit_interval((rel - lo) / (hi - lo))
    weight = torch.where(_max3((~mask).float()) > 0.5, torch.ones_like(weight), weight)
    return _max3(weight)


def pad_index(n: Tensor | int, stride: int, like: Tensor) -> Tensor:
    """int32 indices ``[0, ceil(n / stride) * stride)`` clamped to ``n - 1`` (edge padding)."""
    size = _arange(n, like).shape[0]
    padded = _arange((size + stride - 1) // stride * stride, like)
    return torch.minimum(padded, size - 1.0 + 0.0 * padded).int()


class PipelineGraph(nn.Module):
    """``(rgb uint8 (H, W, 3), depth_lr float32 (h, w))`` -> the outputs in the module docstring.

    Args:
        net: a BridgeNet (``stride``, ``has_mde``); its outputs are ``(1, 1, Hp, Wp)``.
        settings: the baked-in runtime settings.
        half: run the network in float16 (I/O, mask, normalization and fill stay float32).
    """

    def __init__(self, net: nn.Module, settings: GraphSettings, half: bool = False) -> None:
        super().__init__()
        self.net = net
        self.settings = settings
        self.half_net = half
        self.stride = int(net.stride)
        self.has_mde = bool(net.has_mde)

    def _network(self, rgb: Tensor, depth_up_norm: Tensor) -> tuple[Tensor, ...]:
        """Pad to the stride, run the net, crop; returns ``(H, W)`` normalized maps."""
        height, width = rgb.shape[0], rgb.shape[1]
        rows = pad_index(height, self.stride, depth_up_norm)
        cols = pad_index(width, self.stride, depth_up_norm)
        x_rgb = (rgb.float() / 255.0).permute(2, 0, 1)[None]
        x_rgb = x_rgb.index_select(2, rows).index_select(3, cols)
        x_dep = depth_up_norm[None, None].index_select(2, rows).index_select(3, cols)
        if self.half_net:
            outs = self.net(x_rgb.half(), x_dep.half())
            outs = tuple(o.float() for o in outs)
        else:
            outs = tuple(self.net(x_rgb, x_dep))
        return tuple(o[0, 0, :height, :width] for o in outs)

    def forward(self, rgb: Tensor, depth_lr: Tensor) -> tuple[Tensor, ...]:
        """``(depth, [depth_mde], depth_lr_up, depth_range, lr_dropped)``; see the module."""
        cfg = self.settings
        depth = depth_lr.float()
        mask, in_range, valid = lr_mask_graph(depth, cfg.min_depth, cfg.max_depth)
        lo, hi = depth_range_graph(depth, mask)
        filled = fill_graph(depth, mask, cfg.fill_sigma_px, cfg.fill_max_iterations)
        out_hw = (rgb.shape[0], rgb.shape[1])
        wy = bicubic_matrix(depth.shape[0], out_hw[0], depth)
        wx = bicubic_matrix(depth.shape[1], out_hw[1], depth)
        up = torch.matmul(torch.matmul(wy, filled), wx.transpose(0, 1))
        span = hi - lo
        outs = self._network(rgb, (up - lo) / span)
        maps = [o * span + lo for o in outs]
        if cfg.flat_guard:
            weight_lr = flat_guard_weight_graph(filled, mask, *cfg.flat_guard_residual)
            weight = torch.matmul(torch.matmul(wy, weight_lr), wx.transpose(0, 1))
            maps[0] = up + _unit_interval(weight) * (maps[0] - up)
        keep = support_graph(mask, out_hw, cfg.support_radius_px)
        keep = keep & (maps[0] >= -_FLT_MAX) & (maps[0] <= _FLT_MAX)
        if cfg.min_depth is not None:
            keep = keep & (maps[0] >= float(cfg.min_depth))
        if cfg.max_depth is not None:
            keep = keep & (maps[0] <= float(cfg.max_depth))
        nan = torch.full_like(up, float("nan"))
        masked = [torch.where(keep, m, nan) for m in [*maps, up]]
        dropped = torch.stack(
            [
                (~valid).float().sum(),
                (valid & ~in_range).float().sum(),
                (in_range & ~mask).float().sum(),
            ]
        )
        return (*masked, torch.stack([lo, hi]), dropped)
