# SPDX-License-Identifier: Apache-2.0
"""How one training/validation sample is made from a frame (numpy; no torch).

:func:`make_sample` crops, degrades (bicubic protocol, optional sensor model), up-samples and
normalizes one frame; :func:`draw_scale` and :func:`draw_sensor_model` are the per-sample random
choices. The torch dataset (:mod:`.datasets`) decides which frame and which randomness.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from bridgenet_ros.data.degradation import (
    AnySensorModel,
    apply_sensor_model,
    bicubic_downsample,
    upsample_depth,
)
from bridgenet_ros.data.folders import RGBDSample
from bridgenet_ros.errors import DataError
from bridgenet_ros.runtime.normalize import (
    depth_range,
    lr_input_mask,
    normalize_depth,
    valid_mask,
)

__all__ = ["draw_scale", "draw_sensor_model", "make_sample"]


def draw_scale(rng: np.random.Generator, scale_range: tuple[float, float], sampling: str) -> float:
    """One training scale factor from ``scale_range`` (``uniform`` or ``log_uniform``)."""
    lo, hi = scale_range
    if sampling == "log_uniform":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return float(rng.uniform(lo, hi))


def _crop_origin(size: int, crop: int, rng: np.random.Generator | None, where: str) -> int:
    """Top/left of a crop: random in training (``rng``), centred in validation."""
    if size < crop:
        raise DataError(
            f"{where}: frame side {size} px is smaller than the crop {crop} px; "
            "reduce DataConfig.crop_hw"
        )
    if rng is None:
        return (size - crop) // 2
    return int(rng.integers(0, size - crop + 1))


def make_sample(
    frame: RGBDSample,
    scale: float,
    crop_hw: tuple[int, int],
    rng: np.random.Generator | None,
    *,
    flip: bool = False,
    use_real_lr: bool = True,
    sensor_model: AnySensorModel | None = None,
) -> dict[str, np.ndarray]:
    """Build one training/validation pair (numpy) from a frame.

    Args:
        frame: the frame (``depth_hr`` in metres or raw unit-less values).
        scale: down-sampling factor (ignored when the frame's real LR map is used: then the
            sample's scale is ``H / h``).
        crop_hw: crop ``(h, w)``.
        rng: random generator for the crop position and the sensor model; ``None`` = centre
            crop, no sensor model (validation).
        flip: mirror the sample horizontally.
        use_real_lr: use ``frame.depth_lr`` when present.
        sensor_model: degrade the LR map with this model (metric frames only); a stereo or
            LiDAR model is told where the crop lies in the frame (stereo: left band, focal length
            per LR pixel; LiDAR: beam rows, focal length from the frame height).

    Returns:
        Dict of numpy arrays: ``rgb (3, h, w)`` float32 0..1, ``depth_lr_up_norm (1, h, w)``,
        ``depth_hr_norm (1, h, w)``, ``mask_valid (1, h, w)`` float32 0/1, ``depth_range (2,)``,
        ``scale ()`` float32, plus ``depth_lr (h', w')`` for inspection.

    Raises:
        DataError: crop larger than the frame, or no valid LR/HR pixel in the crop.
    """
    ch, cw = crop_hw
    height, width = frame.depth_hr.shape
    y0 = _crop_origin(height, ch, rng, frame.name)
    x0 = _crop_origin(width, cw, rng, frame.name)
    window = (slice(y0, y0 + ch), slice(x0, x0 + cw))
    rgb = frame.rgb[window]
    depth_hr = frame.depth_hr[window]
    mask = valid_mask(depth_hr)
    if not mask.any():
        raise DataError(f"{frame.name}: crop at ({y0}, {x0}) has no valid ground-truth pixel")
    if frame.depth_lr is not None and use_real_lr:
        lr_h, lr_w = frame.depth_lr.shape
        sy, sx = lr_h / height, lr_w / width
        scale = height / lr_h
        depth_lr = frame.depth_lr[
            int(math.floor(y0 * sy)) : int(math.ceil((y0 + ch) * sy)),
            int(math.floor(x0 * sx)) : int(math.ceil((x0 + cw) * sx)),
        ]
        if not valid_mask(depth_lr).any():
            raise DataError(f"{frame.name}: LR crop has no valid pixel")
        depth_lr_up = upsample_depth(frame.depth_lr, (height, width))[window]
    else:
        try:
            depth_lr = bicubic_downsample(depth_hr, scale)
        except DataError as err:
            raise DataError(f"{frame.name}: {err}") from err
        if sensor_model is not None and rng is not None and frame.metric:
            depth_lr = apply_sensor_model(
                depth_lr,
                rng,
                sensor_model,
                rgb,
                frame_width_px=width / scale,
                x_offset_px=x0 / scale,
                frame_height_px=height / scale,
                y_offset_px=y0 / scale,
            )
        if not valid_mask(depth_lr).any():
            raise DataError(f"{frame.name}: LR crop has no valid pixel after degradation")
        depth_lr_up = upsample_depth(depth_lr, (ch, cw))
    rng_norm = depth_range(depth_lr, lr_input_mask(depth_lr).mask)
    depth_lr_up_norm = normalize_depth(depth_lr_up, rng_norm)
    depth_hr_norm = np.where(mask, normalize_depth(np.where(mask, depth_hr, 0.0), rng_norm), 0.0)
    rgb_f = rgb.astype(np.float32).transpose(2, 0, 1) / np.float32(255.0)
    arrays = {
        "rgb": rgb_f,
        "depth_lr_up_norm": depth_lr_up_norm[None],
        "depth_hr_norm": depth_hr_norm.astype(np.float32)[None],
        "mask_valid": mask.astype(np.float32)[None],
    }
    if flip:
        arrays = {k: v[:, :, ::-1] for k, v in arrays.items()}
    out = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    out["depth_range"] = np.array([rng_norm.lo, rng_norm.hi], dtype=np.float32)
    out["scale"] = np.array(scale, dtype=np.float32)
    out["depth_lr"] = np.asarray(depth_lr, dtype=np.float32)
    return out


def draw_sensor_model(
    rng: np.random.Generator,
    models: Sequence[AnySensorModel],
    probabilities: Sequence[float],
    prob: float,
) -> AnySensorModel | None:
    """The sensor model of one training sample, or ``None`` (clean LR).

    Always one draw (apply or not, probability ``prob``), plus one more to pick among two or more
    models: a config with one model draws the same random numbers as before mixes existed.
    """
    apply = rng.random() < prob
    if not apply or not models:
        return None
    if len(models) == 1:
        return models[0]
    return models[int(rng.choice(len(models), p=np.asarray(probabilities)))]
