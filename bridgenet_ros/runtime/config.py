# SPDX-License-Identifier: Apache-2.0
"""Configuration of the depth super-resolution runtime pipeline (``RuntimeConfig``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

from bridgenet_ros.config_io import from_mapping
from bridgenet_ros.errors import ConfigError
from bridgenet_ros.runtime.resize import Filter

__all__ = ["AlignMode", "OutputResolution", "RuntimeConfig"]

OutputResolution = Literal["rgb", "model"]
AlignMode = Literal["off", "auto"]
_FILTERS = ("bicubic", "bilinear", "box", "nearest")


@dataclass(frozen=True)
class RuntimeConfig:
    """Settings of :class:`bridgenet_ros.runtime.pipeline.DepthSRPipeline`.

    Attributes:
        model_height: network input height in pixels; ``None`` uses the RGB height (padded to
            the model stride). Set both or neither of ``model_height``/``model_width``.
        model_width: network input width in pixels; ``None`` uses the RGB width.
        output_resolution: ``rgb`` resizes the outputs back to the RGB image size, ``model``
            returns them on the model grid (the camera_info must then be scaled, see
            :meth:`DepthSRPipeline.scale_camera_info`).
        min_depth: smallest valid output depth in metres; smaller values become NaN (REP 117).
            ``None`` disables the check (unit-less sets).
        max_depth: largest valid output depth in metres; ``None`` disables the check.
        fill_sigma_px: initial Gaussian sigma (LR pixels) of the normalized convolution that
            fills depth holes before the network sees them.
        fill_max_iterations: times the sigma is doubled while holes remain; what is still empty
            afterwards gets the mean valid depth.
        support_radius_px: an output pixel is valid only if a valid LR pixel lies within this
            many LR pixels (Chebyshev distance); ``None`` disables the check.
        aspect_tolerance: largest relative difference between the RGB and LR aspect ratios.
        rgb_filter: resampling filter of the RGB image to the model grid.
        output_filter: resampling filter of the network outputs back to the RGB grid.
        align_mode: ``auto`` estimates a global shift of the LR depth against the RGB from
            each frame's edges and moves the depth onto the RGB before everything else
            (:mod:`bridgenet_ros.runtime.align`); ``off`` (default) leaves it.
        align_max_shift_px: largest shift searched per axis, RGB pixels.
        align_min_gain: least edge-score gain of the best shift over no shift for it to be
            applied (a frame below it counts as aligned).
        flat_guard: keep the bicubic up-sampled input where the LR depth is locally a plane,
            blending to the network where it is not (:mod:`bridgenet_ros.runtime.flat_guard`).
        flat_guard_residual: ``(lo, hi)``: the 3x3 LR plane-fit RMS residual, relative to the
            depth, at and below which the input is kept and at and above which the network is.
    """

    model_height: int | None = None
    model_width: int | None = None
    output_resolution: OutputResolution = "rgb"
    min_depth: float | None = None
    max_depth: float | None = None
    fill_sigma_px: float = 1.5
    fill_max_iterations: int = 6
    support_radius_px: int | None = 2
    aspect_tolerance: float = 0.05
    rgb_filter: Filter = "bilinear"
    output_filter: Filter = "bilinear"
    align_mode: AlignMode = "off"
    align_max_shift_px: float = 10.0
    align_min_gain: float = 1.15
    flat_guard: bool = False
    flat_guard_residual: tuple[float, float] = (0.01, 0.03)

    def __post_init__(self) -> None:
        self._check_model_grid()
        self._check_depth_range()
        self._check_align()
        self._check_flat_guard()
        self._check_hole_filling()
        self._check_resampling()

    def _check_model_grid(self) -> None:
        """Validate ``model_height``/``model_width`` and ``output_resolution``."""
        if (self.model_height is None) != (self.model_width is None):
            raise ConfigError(
                "RuntimeConfig: set both model_height and model_width or neither, got "
                f"model_height={self.model_height}, model_width={self.model_width}"
            )
        for name in ("model_height", "model_width"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ConfigError(f"RuntimeConfig.{name} must be a positive int, got {value!r}")
        if self.output_resolution not in ("rgb", "model"):
            raise ConfigError(
                "RuntimeConfig.output_resolution must be 'rgb' or 'model', got "
                f"{self.output_resolution!r}"
            )

    def _check_align(self) -> None:
        """Validate ``align_mode``, ``align_max_shift_px`` and ``align_min_gain``."""
        if self.align_mode not in ("off", "auto"):
            raise ConfigError(
                f"RuntimeConfig.align_mode must be 'off' or 'auto', got {self.align_mode!r}"
            )
        if not 0 < self.align_max_shift_px <= 64:
            raise ConfigError(
                "RuntimeConfig.align_max_shift_px must be in (0, 64] RGB pixels, got "
                f"{self.align_max_shift_px}"
            )
        if not self.align_min_gain >= 1.0:
            raise ConfigError(
                f"RuntimeConfig.align_min_gain must be >= 1, got {self.align_min_gain}"
            )

    def _check_flat_guard(self) -> None:
        """Validate ``flat_guard`` and ``flat_guard_residual`` (``0 <= lo < hi``)."""
        if not isinstance(self.flat_guard, bool):
            raise ConfigError(
                f"RuntimeConfig.flat_guard must be true or false, got {self.flat_guard!r}"
            )
        bounds = tuple(self.flat_guard_residual)
        if len(bounds) != 2 or not 0 <= float(bounds[0]) < float(bounds[1]) <= 1:
            raise ConfigError(
                "RuntimeConfig.flat_guard_residual must be [lo, hi] with 0 <= lo < hi <= 1 "
                f"(relative plane residuals, e.g. [0.01, 0.03]), got {self.flat_guard_residual!r}"
            )
        object.__setattr__(self, "flat_guard_residual", (float(bounds[0]), float(bounds[1])))

    def _check_depth_range(self) -> None:
        """Validate ``min_depth``/``max_depth`` (numbers or ``None``, ``min < max``)."""
        for name in ("min_depth", "max_depth"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (int, float)):
                raise ConfigError(f"RuntimeConfig.{name} must be a number or null, got {value!r}")
        if (
            self.min_depth is not None
            and self.max_depth is not None
            and not self.min_depth < self.max_depth
        ):
            raise ConfigError(
                f"RuntimeConfig: min_depth ({self.min_depth}) must be < max_depth "
                f"({self.max_depth})"
            )

    def _check_hole_filling(self) -> None:
        """Validate ``fill_sigma_px``, ``fill_max_iterations`` and ``support_radius_px``."""
        if not self.fill_sigma_px > 0:
            raise ConfigError(f"RuntimeConfig.fill_sigma_px must be > 0, got {self.fill_sigma_px}")
        if not isinstance(self.fill_max_iterations, int) or self.fill_max_iterations < 0:
            raise ConfigError(
                "RuntimeConfig.fill_max_iterations must be an int >= 0, got "
                f"{self.fill_max_iterations!r}"
            )
        if self.support_radius_px is not None and (
            not isinstance(self.support_radius_px, int) or self.support_radius_px < 0
        ):
            raise ConfigError(
                "RuntimeConfig.support_radius_px must be an int >= 0 or null, got "
                f"{self.support_radius_px!r}"
            )

    def _check_resampling(self) -> None:
        """Validate ``aspect_tolerance`` and the two resampling filters."""
        if not 0 <= self.aspect_tolerance < 1:
            raise ConfigError(
                f"RuntimeConfig.aspect_tolerance must be in [0, 1), got {self.aspect_tolerance}"
            )
        for name in ("rgb_filter", "output_filter"):
            if getattr(self, name) not in _FILTERS:
                raise ConfigError(
                    f"RuntimeConfig.{name} must be one of {_FILTERS}, got {getattr(self, name)!r}"
                )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> RuntimeConfig:
        """Build from a mapping (e.g. the ``runtime`` YAML section), rejecting unknown keys."""
        return from_mapping(cls, mapping, where="runtime")

    @property
    def model_hw(self) -> tuple[int, int] | None:
        """``(model_height, model_width)`` or ``None`` when the input size is used."""
        if self.model_height is None or self.model_width is None:
            return None
        return (self.model_height, self.model_width)
