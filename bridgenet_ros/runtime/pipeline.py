# SPDX-License-Identifier: Apache-2.0
"""The one depth super-resolution pipeline: metric inputs in, metric outputs out (numpy only).

``DepthSRPipeline.run(rgb, depth_lr)`` does, in order:

1. checks: ``rgb`` ``(H, W, 3)`` uint8, ``depth_lr`` ``(h, w)`` float in metres (0/NaN/inf
   invalid), RGB and LR aspect ratios equal within ``RuntimeConfig.aspect_tolerance``;
2. the LR validity mask (:func:`normalize.lr_input_mask`: finite, positive, inside
   ``[min_depth, max_depth]``, not an isolated outlier; dropped pixels are counted in
   ``PipelineResult.lr_dropped``); holes filled for the network by normalized convolution
   (:mod:`bridgenet_ros.runtime.fill`) -- the network never sees NaN;
3. the normalization range from the masked LR map's min/max (:func:`normalize.depth_range`);
4. bicubic up-sampling of the filled LR map to the model grid, RGB resized to the model grid,
   both padded to the model stride (:mod:`resize`, :mod:`padding`);
5. ``backend.infer``; crop the padding; de-normalize with the LR range;
6. resize to the RGB resolution when ``output_resolution == 'rgb'``;
7. validity: NaN where no valid LR pixel lies within ``support_radius_px`` LR pixels, and
   outside ``[min_depth, max_depth]`` (REP 117).

An all-invalid LR map is not an error: the result is all-NaN (``depth_range is None``) and the
network is not run. ``depth_mde`` is the monocular head's output de-normalized with the same LR
range: its scale and offset come from the LR depth, not from the image alone, so it is metric
only as far as the network learned to match the LR frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bridgenet_ros.errors import ConfigError, ShapeError
from bridgenet_ros.runtime.align import align_for_config
from bridgenet_ros.runtime.backends.base import Backend, check_infer_outputs
from bridgenet_ros.runtime.camera import CameraIntrinsics, scale_camera_info
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.fill import fill_holes
from bridgenet_ros.runtime.flat_guard import apply_flat_guard, guard_weight_lr
from bridgenet_ros.runtime.normalize import (
    DepthRange,
    LRInputMask,
    denormalize_depth,
    depth_range,
    lr_input_mask,
    normalize_depth,
)
from bridgenet_ros.runtime.padding import (
    PadInfo,
    crop_padding,
    fill_edge_padding,
    pad_info,
)
from bridgenet_ros.runtime.resize import resize

__all__ = [
    "DepthSRPipeline",
    "PipelineResult",
    "Preprocessed",
    "check_inputs",
    "rgb_to_unit_chw",
    "support_mask",
    "upsample_depth_lr",
]


@dataclass
class PipelineResult:
    """Output of :meth:`DepthSRPipeline.run` (all on the output grid ``(Ho, Wo)``).

    Attributes:
        depth_sr: ``(Ho, Wo)`` float32 metres, NaN where invalid.
        depth_mde: ``(Ho, Wo)`` float32, the MDE head de-normalized with the LR range (see the
            module docstring), NaN where invalid; ``None`` for models without MDE head.
        depth_lr_up: ``(Ho, Wo)`` float32 metres, the bicubic up-sampling of the hole-filled LR
            map with the same validity mask -- the bicubic baseline.
        mask_valid: ``(Ho, Wo)`` bool, True where the outputs are valid.
        timings_ms: ``preprocess``, ``inference``, ``postprocess`` wall times in ms.
        depth_range: the LR normalization range, ``None`` for an all-invalid input.
        model_hw: the model grid ``(H, W)`` before padding.
        lr_dropped: LR pixels not used, by reason: ``invalid`` (0/NaN/inf), ``out_of_range``
            (outside ``[min_depth, max_depth]``), ``outlier`` (isolated, see
            :func:`~bridgenet_ros.runtime.normalize.lr_input_mask`).
        align_offset_px: with ``align_mode: auto``, the ``(dy, dx)`` RGB-pixel shift by which
            the LR depth was moved onto the RGB (``(0, 0)``: found aligned); ``None`` when off.
    """

    depth_sr: np.ndarray
    depth_mde: np.ndarray | None
    depth_lr_up: np.ndarray
    mask_valid: np.ndarray
    timings_ms: dict[str, float]
    depth_range: DepthRange | None
    model_hw: tuple[int, int]
    lr_dropped: dict[str, int] | None = None
    align_offset_px: tuple[float, float] | None = None


@dataclass
class Preprocessed:
    """Network inputs and what postprocessing needs (see :meth:`DepthSRPipeline.preprocess`).

    Attributes:
        rgb: ``(1, 3, Hp, Wp)`` float32 0..1, padded model grid.
        depth_lr_up_norm: ``(1, 1, Hp, Wp)`` float32 normalized, padded model grid.
        pad_info: padding to crop off the network outputs.
        depth_range: LR normalization range.
        mask_lr: ``(h, w)`` bool validity of the LR input (see ``lr_input_mask``).
        depth_lr_filled: ``(h, w)`` float32 hole-filled LR depth.
        output_hw: the output grid ``(Ho, Wo)``.
        depth_lr_up: ``(H, W)`` float32 bicubic-upsampled LR on the (unpadded) model grid, in
            the input's unit; reused as the bicubic output when the output grid is the model
            grid.
    """

    rgb: np.ndarray
    depth_lr_up_norm: np.ndarray
    pad_info: PadInfo
    depth_range: DepthRange
    mask_lr: np.ndarray
    lr_mask: LRInputMask
    depth_lr_filled: np.ndarray
    output_hw: tuple[int, int]
    depth_lr_up: np.ndarray | None = None


def check_inputs(rgb: np.ndarray, depth_lr: np.ndarray, aspect_tolerance: float) -> None:
    """Validate pipeline inputs.

    Args:
        rgb: expected ``(H, W, 3)`` uint8.
        depth_lr: expected ``(h, w)`` floating point.
        aspect_tolerance: allowed relative difference of the aspect ratios ``W/H`` and ``w/h``.

    Raises:
        ShapeError: on a wrong type, dtype, shape or aspect ratio, naming the values.
    """
    if not isinstance(rgb, np.ndarray) or not isinstance(depth_lr, np.ndarray):
        raise ShapeError(
            f"rgb and depth_lr must be numpy arrays, got {type(rgb).__name__} and "
            f"{type(depth_lr).__name__}"
        )
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ShapeError(
            f"rgb must be (H, W, 3) uint8 in RGB order, got shape {rgb.shape} dtype {rgb.dtype}"
        )
    if depth_lr.ndim != 2 or not np.issubdtype(depth_lr.dtype, np.floating):
        raise ShapeError(
            f"depth_lr must be (h, w) float metres (convert uint16 millimetres with * 0.001), "
            f"got shape {depth_lr.shape} dtype {depth_lr.dtype}"
        )
    if min(rgb.shape[:2]) == 0 or min(depth_lr.shape) == 0:
        raise ShapeError(f"empty image: rgb {rgb.shape}, depth_lr {depth_lr.shape}")
    if depth_lr.shape[0] > rgb.shape[0] or depth_lr.shape[1] > rgb.shape[1]:
        raise ShapeError(
            f"depth_lr {depth_lr.shape[1]}x{depth_lr.shape[0]} is larger than rgb "
            f"{rgb.shape[1]}x{rgb.shape[0]}: the depth input must be the low-resolution one "
            "(swap the topics/arguments?)"
        )
    aspect_rgb = rgb.shape[1] / rgb.shape[0]
    aspect_lr = depth_lr.shape[1] / depth_lr.shape[0]
    if abs(aspect_rgb - aspect_lr) > aspect_tolerance * aspect_rgb:
        raise ShapeError(
            f"rgb {rgb.shape[1]}x{rgb.shape[0]} (aspect {aspect_rgb:.3f}) and depth_lr "
            f"{depth_lr.shape[1]}x{depth_lr.shape[0]} (aspect {aspect_lr:.3f}) differ by more "
            f"than aspect_tolerance={aspect_tolerance}: register/crop the depth to the RGB view"
        )


def _dropped(lr_mask: LRInputMask) -> dict[str, int]:
    """``PipelineResult.lr_dropped`` from the LR input mask."""
    return {
        "invalid": lr_mask.n_invalid,
        "out_of_range": lr_mask.n_out_of_range,
        "outlier": lr_mask.n_outliers,
    }


def _dilate_rows(mask: np.ndarray, radius: int) -> np.ndarray:
    """True where ``mask`` has a True pixel within ``radius`` rows (same column)."""
    n = mask.shape[0]
    csum = np.zeros((n + 1, *mask.shape[1:]), dtype=np.int32)
    np.cumsum(mask, axis=0, dtype=np.int32, out=csum[1:])
    idx = np.arange(n)
    return (csum[np.minimum(idx + radius + 1, n)] - csum[np.maximum(idx - radius, 0)]) > 0


def _box_any(mask: np.ndarray, radius: int) -> np.ndarray:
    """True where ``mask`` has a True pixel within ``radius`` (Chebyshev): separable dilation."""
    if radius == 0:
        return mask.copy()
    return _dilate_rows(_dilate_rows(mask, radius).T, radius).T


def support_mask(mask_lr: np.ndarray, out_hw: tuple[int, int], radius: int | None) -> np.ndarray:
    """Output-grid mask of pixels with valid LR support.

    Args:
        mask_lr: ``(h, w)`` bool LR validity.
        out_hw: output grid ``(Ho, Wo)``.
        radius: support radius in LR pixels; ``None`` means every pixel is supported.

    Returns:
        ``(Ho, Wo)`` bool (a new array): the LR mask dilated by ``radius`` and sampled at the
        nearest LR pixel.
    """
    if radius is None:
        return np.ones(out_hw, dtype=bool)
    dilated = _box_any(mask_lr, radius)
    h, w = mask_lr.shape
    rows = np.minimum(((np.arange(out_hw[0]) + 0.5) * h / out_hw[0]).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(out_hw[1]) + 0.5) * w / out_hw[1]).astype(np.int64), w - 1)
    # columns first on the small LR map, then whole rows: much cheaper than a 2-D gather
    return np.take(dilated, cols, axis=1)[rows]


def rgb_to_unit_chw(rgb: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write an ``(H, W, 3)`` RGB image as ``(3, H, W)`` float32 ``0..1`` into ``out``.

    One pass per channel, no intermediate arrays: ``out[c] = rgb[..., c] / 255`` in float32.

    Args:
        rgb: ``(H, W, 3)`` uint8, or float ``0..255`` (a resized image; clipped to ``0..1``
            since resampling may overshoot).
        out: ``(3, H, W)`` float32 destination (e.g. a view into a padded buffer).

    Returns:
        ``out``.
    """
    for c in range(3):
        np.divide(rgb[:, :, c], np.float32(255.0), out=out[c], dtype=np.float32)
    if rgb.dtype != np.uint8:  # uint8 / 255 already lies in 0..1
        np.clip(out, 0.0, 1.0, out=out)
    return out


def _set_invalid_nan(arrays: tuple[np.ndarray | None, ...], mask: np.ndarray) -> None:
    """Set each array to NaN where ``mask`` is False, in place (nothing to do if all valid)."""
    if mask.all():
        return
    invalid = ~mask
    for arr in arrays:
        if arr is not None:
            np.putmask(arr, invalid, np.float32(np.nan))


#: a pair of padded network-input buffers ``(rgb (1, 3, Hp, Wp), depth (1, 1, Hp, Wp))``
InputBuffers = tuple[np.ndarray, np.ndarray]


def _input_buffers(info: PadInfo, spare: InputBuffers | None) -> InputBuffers:
    """Float32 network-input buffers of the padded size: ``spare`` when it fits, else new."""
    hw = (info.height + info.pad_bottom, info.width + info.pad_right)
    if spare is not None and spare[0].shape == (1, 3, *hw) and spare[1].shape == (1, 1, *hw):
        return spare
    return np.empty((1, 3, *hw), dtype=np.float32), np.empty((1, 1, *hw), dtype=np.float32)


def upsample_depth_lr(
    depth_lr: np.ndarray, size_hw: tuple[int, int], config: RuntimeConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hole-fill and bicubic-upsample an LR depth map exactly as the pipeline does.

    Args:
        depth_lr: ``(h, w)`` float depth, 0/NaN/inf invalid; at least one valid pixel.
        size_hw: target ``(H, W)``.
        config: fill settings and depth limits (defaults when ``None``).

    Returns:
        ``(depth_lr_up, mask_lr)``: ``(H, W)`` float32 finite up-sampled depth (no validity
        mask applied) and the ``(h, w)`` bool LR validity.

    Raises:
        DataError: if no LR pixel is valid.
    """
    cfg = config or RuntimeConfig()
    mask_lr = lr_input_mask(depth_lr, cfg.min_depth, cfg.max_depth).mask
    filled = fill_holes(depth_lr, mask_lr, cfg.fill_sigma_px, cfg.fill_max_iterations)
    return resize(filled, size_hw, "bicubic"), mask_lr


class DepthSRPipeline:
    """Pre-processing, inference through a :class:`Backend`, post-processing.

    Args:
        backend: the inference backend (see :func:`~bridgenet_ros.runtime.backends.factory.
            create_backend`).
        config: runtime settings.

    Raises:
        ConfigError: if the configured model size contradicts a fixed-size backend.
    """

    def __init__(self, backend: Backend, config: RuntimeConfig | None = None) -> None:
        self.backend = backend
        self.config = config or RuntimeConfig()
        fixed = backend.input_hw
        want = self.config.model_hw
        if fixed is not None and want is not None and tuple(fixed) != tuple(want):
            raise ConfigError(
                f"runtime model size {want[0]}x{want[1]} differs from the {backend.name} "
                f"backend's fixed input size {fixed[0]}x{fixed[1]}: set model_height/"
                "model_width to it or rebuild the engine/ONNX for the size you want"
            )
        # network-input buffers of finished frames, reused by run() (one per concurrent call)
        self._spare_inputs: list[InputBuffers] = []

    def _take_buffers(self) -> InputBuffers | None:
        """A finished frame's network-input buffers, or ``None`` (list ops are thread-safe)."""
        try:
            return self._spare_inputs.pop()
        except IndexError:
            return None

    def model_grid(self, rgb_hw: tuple[int, int]) -> tuple[int, int]:
        """The model grid ``(H, W)`` (before stride padding) for an RGB size."""
        if self.backend.input_hw is not None:
            return (int(self.backend.input_hw[0]), int(self.backend.input_hw[1]))
        if self.config.model_hw is not None:
            return self.config.model_hw
        return (int(rgb_hw[0]), int(rgb_hw[1]))

    def output_grid(self, rgb_hw: tuple[int, int]) -> tuple[int, int]:
        """The output grid ``(Ho, Wo)``: the RGB size or the model grid."""
        if self.config.output_resolution == "rgb":
            return (int(rgb_hw[0]), int(rgb_hw[1]))
        return self.model_grid(rgb_hw)

    def scale_camera_info(self, info: CameraIntrinsics) -> CameraIntrinsics:
        """Intrinsics of the RGB camera scaled to the output grid (image_proc's resize rule).

        Args:
            info: intrinsics of the RGB image the pipeline receives.
        """
        out_h, out_w = self.output_grid((info.height, info.width))
        return scale_camera_info(info, out_w, out_h)

    def lr_mask(self, depth_lr: np.ndarray) -> LRInputMask:
        """The LR pixels this pipeline uses (``min_depth``/``max_depth`` from its config)."""
        return lr_input_mask(depth_lr, self.config.min_depth, self.config.max_depth)

    def preprocess(
        self,
        rgb: np.ndarray,
        depth_lr: np.ndarray,
        lr_mask: LRInputMask | None = None,
        *,
        buffers: InputBuffers | None = None,
    ) -> Preprocessed:
        """Build the network inputs.

        Args:
            rgb: ``(H, W, 3)`` uint8.
            depth_lr: ``(h, w)`` float metres, at least one valid pixel.
            lr_mask: :meth:`lr_mask` of ``depth_lr`` when the caller has it already.
            buffers: ``(rgb, depth)`` float32 ``(1, 3, Hp, Wp)``/``(1, 1, Hp, Wp)`` arrays to
                write the network inputs into (their old content is overwritten), e.g. a
                previous frame's ``Preprocessed.rgb``/``depth_lr_up_norm``; ignored when their
                shapes do not fit. ``None`` allocates new ones.

        Raises:
            ShapeError: on bad inputs.
            DataError: if no LR pixel is valid.
        """
        cfg = self.config
        check_inputs(rgb, depth_lr, cfg.aspect_tolerance)
        depth_lr = depth_lr.astype(np.float32, copy=False)
        lr_mask = lr_mask if lr_mask is not None else self.lr_mask(depth_lr)
        mask_lr = lr_mask.mask
        rng = depth_range(depth_lr, mask_lr)
        filled = fill_holes(depth_lr, mask_lr, cfg.fill_sigma_px, cfg.fill_max_iterations)
        model_hw = self.model_grid(rgb.shape[:2])
        up = resize(filled, model_hw, "bicubic")
        rgb_model = rgb if rgb.shape[:2] == model_hw else resize(rgb, model_hw, cfg.rgb_filter)
        info = pad_info(model_hw[0], model_hw[1], self.backend.stride)
        rgb_pad, up_pad = _input_buffers(info, buffers)
        normalize_depth(up, rng, out=crop_padding(up_pad[0, 0], info))
        rgb_to_unit_chw(rgb_model, crop_padding(rgb_pad[0], info))
        return Preprocessed(
            rgb=fill_edge_padding(rgb_pad, info),
            depth_lr_up_norm=fill_edge_padding(up_pad, info),
            pad_info=info,
            depth_range=rng,
            mask_lr=mask_lr,
            lr_mask=lr_mask,
            depth_lr_filled=filled,
            output_hw=self.output_grid(rgb.shape[:2]),
            depth_lr_up=up,
        )

    def postprocess(
        self,
        pre: Preprocessed,
        depth_sr_norm: np.ndarray,
        depth_mde_norm: np.ndarray | None,
        *,
        consume: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """Crop, de-normalize, resize and mask the network outputs (and apply the flat guard).

        Args:
            pre: the matching :meth:`preprocess` result.
            depth_sr_norm: ``(1, 1, Hp, Wp)`` network output.
            depth_mde_norm: ``(1, 1, Hp, Wp)`` or ``None``.
            consume: hand ``pre.depth_lr_up`` over to the result instead of copying it (it is
                masked in place); only for callers that drop ``pre`` afterwards.

        Returns:
            ``(depth_sr, depth_mde, depth_lr_up, mask_valid)`` on the output grid: new arrays,
            not views of the network outputs (with ``consume``, ``depth_lr_up`` is
            ``pre.depth_lr_up`` itself).
        """
        cfg = self.config
        out_hw = pre.output_hw
        model_hw = (pre.pad_info.height, pre.pad_info.width)

        def to_output(norm: np.ndarray) -> np.ndarray:
            depth = denormalize_depth(crop_padding(norm[0, 0], pre.pad_info), pre.depth_range)
            if model_hw != out_hw:
                depth = resize(depth, out_hw, cfg.output_filter)
            return depth

        depth_sr = to_output(depth_sr_norm)
        depth_mde = to_output(depth_mde_norm) if depth_mde_norm is not None else None
        up = pre.depth_lr_up
        if up is not None and up.shape == tuple(out_hw):  # same bicubic map, computed once
            depth_lr_up = up if consume else up.copy()
        else:
            depth_lr_up = resize(pre.depth_lr_filled, out_hw, "bicubic")
        if cfg.flat_guard:
            weight_lr = guard_weight_lr(pre.depth_lr_filled, pre.mask_lr, *cfg.flat_guard_residual)
            depth_sr = apply_flat_guard(depth_sr, depth_lr_up, weight_lr)
        mask = support_mask(pre.mask_lr, out_hw, cfg.support_radius_px)
        mask &= np.isfinite(depth_sr)
        if cfg.min_depth is not None:
            mask &= depth_sr >= cfg.min_depth
        if cfg.max_depth is not None:
            mask &= depth_sr <= cfg.max_depth
        _set_invalid_nan((depth_sr, depth_mde, depth_lr_up), mask)
        return depth_sr, depth_mde, depth_lr_up, mask

    def run(self, rgb: np.ndarray, depth_lr: np.ndarray) -> PipelineResult:
        """Super-resolve one frame.

        Args:
            rgb: ``(H, W, 3)`` uint8 RGB.
            depth_lr: ``(h, w)`` float32 metres (any float dtype accepted); 0/NaN/inf invalid.

        Returns:
            A :class:`PipelineResult`; all-NaN outputs (``depth_range=None``, no inference) if
            no LR pixel is valid.

        Raises:
            ShapeError: on wrong shapes/dtypes or an RGB/depth aspect mismatch.
            BackendError: if the backend fails or returns wrong shapes.
        """
        t0 = time.perf_counter()
        check_inputs(rgb, depth_lr, self.config.aspect_tolerance)
        depth_lr, align_offset = align_for_config(rgb, depth_lr, self.config)
        lr_mask = self.lr_mask(depth_lr)
        if not lr_mask.mask.any():
            out_hw = self.output_grid(rgb.shape[:2])
            nan = np.full(out_hw, np.nan, dtype=np.float32)
            return PipelineResult(
                depth_sr=nan,
                depth_mde=nan.copy() if self.backend.has_mde else None,
                depth_lr_up=nan.copy(),
                mask_valid=np.zeros(out_hw, dtype=bool),
                timings_ms={
                    "preprocess": (time.perf_counter() - t0) * 1e3,
                    "inference": 0.0,
                    "postprocess": 0.0,
                },
                depth_range=None,
                model_hw=self.model_grid(rgb.shape[:2]),
                lr_dropped=_dropped(lr_mask),
                align_offset_px=align_offset,
            )
        pre = self.preprocess(rgb, depth_lr, lr_mask, buffers=self._take_buffers())
        t1 = time.perf_counter()
        outputs = self.backend.infer(pre.rgb, pre.depth_lr_up_norm)
        t2 = time.perf_counter()
        sr_norm, mde_norm = check_infer_outputs(
            outputs, pre.rgb.shape[2:], self.backend.has_mde, self.backend.name
        )
        depth_sr, depth_mde, depth_lr_up, mask = self.postprocess(
            pre, sr_norm, mde_norm, consume=True
        )
        self._spare_inputs.append((pre.rgb, pre.depth_lr_up_norm))  # for the next frame
        t3 = time.perf_counter()
        return PipelineResult(
            depth_sr=depth_sr,
            depth_mde=depth_mde,
            depth_lr_up=depth_lr_up,
            mask_valid=mask,
            timings_ms={
                "preprocess": (t1 - t0) * 1e3,
                "inference": (t2 - t1) * 1e3,
                "postprocess": (t3 - t2) * 1e3,
            },
            depth_range=pre.depth_range,
            model_hw=(pre.pad_info.height, pre.pad_info.width),
            lr_dropped=_dropped(pre.lr_mask),
            align_offset_px=align_offset,
        )
