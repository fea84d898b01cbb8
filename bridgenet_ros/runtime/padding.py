# SPDX-License-Identifier: Apache-2.0
"""Pad images to a multiple of the network stride and crop the padding back off (numpy only).

The network needs ``H`` and ``W`` divisible by its stride (``BridgeNetConfig.stride``). The
runtime pads at the bottom/right by edge replication, runs the network and crops back, so any
input size works. Padding only at the bottom/right keeps pixel ``(0, 0)`` aligned, so the crop is
a plain slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridgenet_ros.errors import ShapeError

__all__ = [
    "PadInfo",
    "crop_padding",
    "fill_edge_padding",
    "pad_info",
    "pad_to_multiple",
    "padded_size",
]


@dataclass(frozen=True)
class PadInfo:
    """Original spatial size and the padding added at the bottom and right."""

    height: int
    width: int
    pad_bottom: int
    pad_right: int


def padded_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    """Smallest ``(H', W') >= (height, width)`` divisible by ``multiple``."""
    if multiple <= 0:
        raise ShapeError(f"stride multiple must be positive, got {multiple}")
    return (-(-height // multiple) * multiple, -(-width // multiple) * multiple)


def pad_to_multiple(array: np.ndarray, multiple: int) -> tuple[np.ndarray, PadInfo]:
    """Edge-pad the last two axes of ``array`` up to a multiple of ``multiple``.

    Args:
        array: ``(..., H, W)`` array, e.g. ``(1, 3, H, W)`` or ``(H, W)``.
        multiple: the network stride.

    Returns:
        ``(padded, info)``: ``padded`` has shape ``(..., H', W')``; pass ``info`` to
        :func:`crop_padding`.
    """
    if array.ndim < 2:
        raise ShapeError(f"pad_to_multiple needs at least 2 dimensions, got shape {array.shape}")
    height, width = array.shape[-2:]
    info = pad_info(height, width, multiple)
    if info.pad_bottom == 0 and info.pad_right == 0:
        return array, info
    pad = [(0, 0)] * (array.ndim - 2) + [(0, info.pad_bottom), (0, info.pad_right)]
    return np.pad(array, pad, mode="edge"), info


def pad_info(height: int, width: int, multiple: int) -> PadInfo:
    """The :class:`PadInfo` :func:`pad_to_multiple` uses for a ``(height, width)`` image."""
    out_h, out_w = padded_size(height, width, multiple)
    return PadInfo(height, width, out_h - height, out_w - width)


def fill_edge_padding(buffer: np.ndarray, info: PadInfo) -> np.ndarray:
    """Edge-replicate ``buffer[..., :height, :width]`` into its bottom/right padding, in place.

    Write the image into ``buffer[..., :height, :width]`` of a buffer of the padded size
    (:func:`pad_info`), then call this: the result equals :func:`pad_to_multiple` of the image
    (``np.pad(..., mode='edge')``: columns first, then the last full row, so the corner gets
    the corner pixel) without building the unpadded array first. Returns ``buffer``.
    """
    h, w = info.height, info.width
    if info.pad_right:
        buffer[..., :h, w:] = buffer[..., :h, w - 1 : w]
    if info.pad_bottom:
        buffer[..., h:, :] = buffer[..., h - 1 : h, :]
    return buffer


def crop_padding(array: np.ndarray, info: PadInfo) -> np.ndarray:
    """Undo :func:`pad_to_multiple`: keep the top-left ``(info.height, info.width)`` window."""
    return array[..., : info.height, : info.width]
