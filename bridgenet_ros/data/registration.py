# SPDX-License-Identifier: Apache-2.0
"""Register a training frame's ground-truth depth to its RGB (issue 12: why RGB is not used).

The RGB-D-D frames are not all registered alike: the HR ToF depth sits up to a few RGB pixels
away from the image, and the offset changes with the capture day (``scripts/gt_registration.py``;
docs/results.md "GT registration"): +1 px down in May, about 0 to -1 px in June, -2 px in July.
A network trained on such ground truth is told that an RGB edge says where a depth edge is only
to within +-2 px, no better than the bicubic ramp of a x4 LR map. Measured (docs/results.md,
"Outcome of stages 3c and 6"): training on registered frames bought 0.6 % overall and 1 % on
holed LR, but did not make the network use the image at x4.

:func:`register_depth_to_rgb` estimates the frame's global shift with the runtime's own
estimator (:func:`bridgenet_ros.runtime.align.estimate_offset`, run on the HR depth) and moves
the depth by the **rounded** shift: whole pixels, so no depth value is blended across an edge
(a sub-pixel shift would make flying pixels in the ground truth). The shift is applied only when
the estimate is clear (``gain >= min_gain``) and inside the searched window (an estimate on its
border is a texture match, not a registration: it moved Canny-edge agreement the wrong way in
most such frames). :class:`RegisteredSource` applies it to a training source's frames, caching
the estimate per frame. Validation frames are never registered (the protocol stays as it was).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bridgenet_ros.data.folders import RGBDSample
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.align import estimate_offset

__all__ = [
    "DEFAULT_MAX_SHIFT_PX",
    "DEFAULT_MIN_GAIN",
    "RegisteredSource",
    "Registration",
    "register_depth_to_rgb",
    "shift_whole_pixels",
]

#: largest offset searched per axis, RGB pixels (RGB-D-D's frames are 0-4 px off)
DEFAULT_MAX_SHIFT_PX = 6.0
#: least edge-score gain for an offset to count (registered Middlebury frames: median 1.000)
DEFAULT_MIN_GAIN = 1.05


@dataclass(frozen=True)
class Registration:
    """What :func:`register_depth_to_rgb` did to one frame.

    Attributes:
        shift_px: ``(dy, dx)`` whole RGB pixels the depth was moved by (``(0, 0)``: untouched).
        estimate_px: the estimated offset of the depth against the RGB (sub-pixel).
        gain: the estimate's ``score(d*) / score(0)``.
    """

    shift_px: tuple[int, int]
    estimate_px: tuple[float, float]
    gain: float


def shift_whole_pixels(depth: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move a depth map's content by ``(dy, dx)`` whole pixels; uncovered pixels are 0 (invalid).

    Args:
        depth: ``(H, W)`` depth (any unit); values are copied, never blended.
        dy: rows down (negative: up).
        dx: columns right (negative: left).

    Returns:
        ``(H, W)`` array of ``depth``'s dtype.
    """
    h, w = depth.shape
    out = np.zeros_like(depth)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_y = slice(max(0, -dy), h - max(0, dy))
    dst_y = slice(max(0, dy), h - max(0, -dy))
    src_x = slice(max(0, -dx), w - max(0, dx))
    dst_x = slice(max(0, dx), w - max(0, -dx))
    out[dst_y, dst_x] = depth[src_y, src_x]
    return out


def register_depth_to_rgb(
    rgb: np.ndarray, depth_hr: np.ndarray, max_shift_px: float, min_gain: float
) -> tuple[np.ndarray, Registration]:
    """Move the HR depth onto the RGB by its estimated whole-pixel offset (module docstring).

    Args:
        rgb: ``(H, W, 3)`` uint8 image.
        depth_hr: ``(H, W)`` depth (metres, or any positive unit); 0/NaN invalid.
        max_shift_px: largest offset searched per axis, RGB pixels (>= 2).
        min_gain: least ``score(d*) / score(0)`` for the offset to be applied (>= 1).

    Returns:
        ``(depth, registration)``: ``depth_hr`` itself when nothing is applied, else a moved
        copy with 0 where no depth moved in.
    """
    estimate = estimate_offset(rgb, depth_hr, max_shift_px, min_gain)
    dy, dx = (int(round(v)) for v in estimate.offset_px)
    inside = max(abs(estimate.offset_px[0]), abs(estimate.offset_px[1])) <= max_shift_px - 1.0
    if not (estimate.applied and inside) or (dy, dx) == (0, 0):
        return depth_hr, Registration((0, 0), estimate.offset_px, estimate.gain)
    moved = shift_whole_pixels(depth_hr, -dy, -dx)
    return moved, Registration((-dy, -dx), estimate.offset_px, estimate.gain)


class RegisteredSource:
    """A frame source whose HR depth is registered to the RGB per frame (training only).

    The estimate runs once per frame index (cached; ~30 ms at 512x384). A real LR map
    (``depth_lr``) is left as recorded: it is the sensor's input, not the ground truth.

    Args:
        source: any indexable source of :class:`RGBDSample`.
        max_shift_px: see :func:`register_depth_to_rgb`.
        min_gain: see :func:`register_depth_to_rgb`.
    """

    def __init__(self, source: object, max_shift_px: float, min_gain: float) -> None:
        if max_shift_px < 2.0 or min_gain < 1.0:
            raise ConfigError(
                f"registration needs max_shift_px >= 2 and min_gain >= 1, got {max_shift_px}"
                f" and {min_gain}"
            )
        self.source = source
        self.max_shift_px = float(max_shift_px)
        self.min_gain = float(min_gain)
        self._shifts: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> RGBDSample:
        sample: RGBDSample = self.source[index]  # type: ignore[index]
        if index not in self._shifts:
            _, registration = register_depth_to_rgb(
                sample.rgb, sample.depth_hr, self.max_shift_px, self.min_gain
            )
            self._shifts[index] = registration.shift_px
        dy, dx = self._shifts[index]
        if (dy, dx) == (0, 0):
            return sample
        return replace(sample, depth_hr=shift_whole_pixels(sample.depth_hr, dy, dx))
