# SPDX-License-Identifier: Apache-2.0
"""Classical baselines: bicubic up-sampling and an RGB-guided filter (opencv-contrib ximgproc).

Both start from the runtime pipeline's own ``depth_lr_up`` (hole-filled, bicubic, masked), so the
baselines see exactly the input the network sees. :class:`PassThroughBackend` lets the pipeline
itself produce the bicubic result when no network is evaluated.

The guided filter (He et al., "Guided Image Filtering", TPAMI 2013) smooths the bicubic map with
the RGB image as guide; its ``radius`` (pixels) and ``eps`` (regularization, in normalized-depth²
units) depend on the scale factor and are tuned on the *validation* split only
(:func:`tune_guided`, stored in ``config/guided_filter.yaml``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bridgenet_ros.errors import ConfigError, ShapeError

__all__ = [
    "GuidedParams",
    "PassThroughBackend",
    "guided_filter_depth",
    "load_guided_params",
    "params_for_scale",
    "save_guided_params",
    "tune_guided",
]


class PassThroughBackend:
    """A :class:`~bridgenet_ros.runtime.backends.base.Backend` returning its depth input.

    Run through :class:`DepthSRPipeline`, its ``depth_sr`` is the pipeline's bicubic map.
    """

    name = "bicubic"
    stride = 1
    input_hw: tuple[int, int] | None = None
    has_mde = False

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``(depth_lr_up_norm, None)`` (``(1, 1, H, W)`` float32)."""
        return np.array(depth_lr_up_norm, dtype=np.float32, copy=True), None

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class GuidedParams:
    """Guided-filter parameters for one scale factor.

    Attributes:
        scale: the scale factor they were tuned at.
        radius: window radius in HR pixels.
        eps: regularization in normalized-depth² units (depth mapped to 0..1 by its range).
    """

    scale: float
    radius: int
    eps: float

    def __post_init__(self) -> None:
        if self.radius < 1 or not self.eps > 0 or not self.scale >= 1:
            raise ConfigError(
                f"guided filter params need radius >= 1, eps > 0, scale >= 1; got {self}"
            )


def guided_filter_depth(
    rgb: np.ndarray, depth_lr_up: np.ndarray, radius: int, eps: float
) -> np.ndarray:
    """RGB-guided filtering of an up-sampled depth map (``cv2.ximgproc.guidedFilter``).

    Args:
        rgb: ``(H, W, 3)`` uint8 guide image.
        depth_lr_up: ``(H, W)`` float depth (any unit); NaN pixels stay NaN.
        radius: window radius in pixels.
        eps: regularization in normalized-depth² units.

    Returns:
        ``(H, W)`` float32 filtered depth in the unit of ``depth_lr_up``.

    Raises:
        ShapeError: if the shapes do not match.
    """
    import cv2

    if rgb.shape[:2] != depth_lr_up.shape or rgb.ndim != 3:
        raise ShapeError(f"rgb {rgb.shape} and depth {depth_lr_up.shape} must share (H, W)")
    valid = np.isfinite(depth_lr_up)
    if not valid.any():
        return np.full(depth_lr_up.shape, np.nan, dtype=np.float32)
    lo = float(np.min(depth_lr_up[valid]))
    hi = float(np.max(depth_lr_up[valid]))
    span = max(hi - lo, 1e-6)
    fill = float(np.mean(depth_lr_up[valid]) - lo) / span
    src = np.where(valid, (depth_lr_up - lo) / span, fill)
    guide = np.ascontiguousarray(rgb, dtype=np.float32) / 255.0
    out = cv2.ximgproc.guidedFilter(guide, src.astype(np.float32), int(radius), float(eps))
    result = (out * span + lo).astype(np.float32)
    result[~valid] = np.nan
    return result


def params_for_scale(params: Sequence[GuidedParams], scale: float) -> GuidedParams:
    """The tuned parameters whose scale is nearest to ``scale`` (in log scale).

    Raises:
        ConfigError: if ``params`` is empty.
    """
    if not params:
        raise ConfigError("no guided-filter parameters: run `bridgenet eval --tune-guided`")
    return min(params, key=lambda p: abs(math.log(p.scale) - math.log(scale)))


def load_guided_params(path: str | Path) -> list[GuidedParams]:
    """Read ``config/guided_filter.yaml`` (key ``params``: list of scale/radius/eps).

    Raises:
        ConfigError: if the file is missing or malformed.
    """
    from bridgenet_ros.config_io import from_mapping, load_yaml

    data = load_yaml(path)
    entries = data.get("params")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a non-empty list under 'params'")
    return [from_mapping(GuidedParams, e, where=f"{path}: params") for e in entries]


def save_guided_params(path: str | Path, params: Sequence[GuidedParams], note: str) -> None:
    """Write tuned parameters as YAML with a comment line saying how they were obtained."""
    import yaml

    body = {"params": [{"scale": p.scale, "radius": p.radius, "eps": p.eps} for p in params]}
    text = "".join(f"# {line}\n" for line in note.splitlines())
    Path(path).write_text(text + yaml.safe_dump(body, sort_keys=False))


def tune_guided(
    frames: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    scale: float,
    radii: Sequence[int] = (2, 4, 8, 16),
    eps_values: Sequence[float] = (1e-3, 1e-2, 1e-1),
    score: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> tuple[GuidedParams, float]:
    """Grid-search radius and eps minimizing the mean RMSE on validation frames.

    Args:
        frames: ``(rgb (H,W,3) uint8, depth_lr_up (H,W), depth_hr (H,W))`` per validation image,
            ``depth_lr_up`` from the runtime pipeline.
        scale: the scale factor the frames were degraded with (stored with the result).
        radii: window radii to try (pixels).
        eps_values: regularizations to try.
        score: ``score(pred, gt)``; default RMSE over valid pixels with a 6 px crop.

    Returns:
        The best parameters and their mean score.
    """
    from bridgenet_ros.eval.metrics import compute_metrics

    def rmse(pred: np.ndarray, gt: np.ndarray) -> float:
        return compute_metrics(pred, gt, crop=6, mask=np.isfinite(pred)).rmse

    fn = score or rmse
    best: tuple[GuidedParams, float] | None = None
    for radius in radii:
        for eps in eps_values:
            vals = [fn(guided_filter_depth(rgb, up, radius, eps), gt) for rgb, up, gt in frames]
            mean = float(np.mean(vals))
            if best is None or mean < best[1]:
                best = (GuidedParams(float(scale), int(radius), float(eps)), mean)
    assert best is not None
    return best
