# SPDX-License-Identifier: Apache-2.0
"""Evaluation of models and baselines on RGB-D folders, through the runtime pipeline.

Every method is scored on the same frames and the same pixels:

- each model runs through :class:`~bridgenet_ros.runtime.pipeline.DepthSRPipeline` (the node's
  code, any backend);
- ``bicubic`` is the pipeline's own ``depth_lr_up`` (from the first model's pipeline run, or a
  pass-through backend when no model is given);
- ``guided`` filters that same ``depth_lr_up`` with the RGB guide (tuned parameters);
- pixels are scored where the ground truth is valid and every method's output is finite (the
  pipeline marks unsupported pixels NaN), after the border crop.

The LR input is the literature's protocol (PIL bicubic down-sampling by ``scale``) unless the set
provides real LR maps (``lr_dir``). Depth values are ``file value × depth_scale``, which sets the
unit of RMSE/MAE/MAD (e.g. ``0.1`` turns millimetres into centimetres); ``depth_scale="unitless"``
keeps raw values of a set without a metric unit.

Real-sensor protocol (``real_sensor=True`` and ``regions``, :mod:`bridgenet_ros.eval.real_sensor`):
the LR input is the hole-aware self-down-sampling of the sensor's own depth, which stays the
reference; the report adds scores on the ``flat`` and ``edge`` regions of the reference
(:mod:`bridgenet_ros.eval.regions`) and each method's ratio to bicubic.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Sequence

import numpy as np

from bridgenet_ros.errors import ConfigError, DataError
from bridgenet_ros.eval.baselines import GuidedParams, guided_filter_depth, params_for_scale
from bridgenet_ros.eval.metrics import METRIC_NAMES, MetricAccumulator, compute_metrics
from bridgenet_ros.eval.real_sensor import RegionScores, score_frame

if TYPE_CHECKING:
    from bridgenet_ros.data.degradation import AnySensorModel
    from bridgenet_ros.data.splits import GroupBy
    from bridgenet_ros.eval.real_sensor import DownsampleFilter
    from bridgenet_ros.eval.regions import RegionConfig

__all__ = [
    "EvalFrame",
    "EvalReport",
    "ModelMethod",
    "evaluate_frames",
    "format_region_table",
    "format_table",
    "load_eval_frames",
    "unit_label",
]

#: ``(metres per unit) -> name`` for unit labels
_UNIT_NAMES = {1.0: "m", 0.01: "cm", 0.001: "mm"}


@dataclass(frozen=True)
class EvalFrame:
    """One evaluation frame.

    Attributes:
        name: the file stem.
        rgb: ``(H, W, 3)`` uint8.
        depth_hr: ``(H, W)`` float32 ground truth in the evaluation unit; 0/NaN invalid.
        depth_lr: ``(h, w)`` float32 LR input in the same unit.
    """

    name: str
    rgb: np.ndarray
    depth_hr: np.ndarray
    depth_lr: np.ndarray


@dataclass
class ModelMethod:
    """A model scored through the runtime pipeline.

    Attributes:
        name: column name (the checkpoint stem, e.g. ``bridgenet_lite``).
        pipeline: a :class:`DepthSRPipeline` around the model's backend, or a
            :class:`~bridgenet_ros.runtime.graph_pipeline.GraphPipeline` for a deployment graph.
    """

    name: str
    pipeline: Any


@dataclass
class EvalReport:
    """Per-method means and per-image metrics (the JSON of ``bridgenet eval``)."""

    scale: float | None
    crop: int
    unit: str
    methods: dict[str, dict[str, float]]
    images: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)
    #: per image: predictions by method, kept only when asked (for --vis)
    predictions: list[dict[str, np.ndarray]] = field(default_factory=list)
    #: real-sensor protocol: ``RegionScores.summary()`` (region -> fraction, methods, ratios)
    regions: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The issue-4 JSON schema (plus ``regions`` and ``extra`` keys such as data, split)."""
        body: dict[str, Any] = {
            "scale": self.scale,
            "crop": self.crop,
            "unit": self.unit,
            "methods": self.methods,
            "images": self.images,
        }
        if self.regions:
            body["regions"] = self.regions
        return {k: _json_clean(v) for k, v in {**body, **self.extra}.items()}


def _json_clean(value: Any) -> Any:
    """Non-finite floats -> ``None``, numpy scalars -> Python, recursively; counts stay int."""
    if isinstance(value, dict):
        return {k: _json_clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def unit_label(metres_per_unit: float | None) -> str:
    """``m``/``cm``/``mm`` for a metric unit, ``raw`` for unit-less data, else ``<x> m``."""
    if metres_per_unit is None:
        return "raw"
    for value, name in _UNIT_NAMES.items():
        if math.isclose(metres_per_unit, value, rel_tol=1e-6):
            return name
    return f"{metres_per_unit:g} m"


def load_eval_frames(
    data: str,
    *,
    scale: float | None,
    lr_dir: str | None = None,
    depth_scale: float | Literal["unitless"] | None = None,
    split: str = "all",
    root: str | Path | None = None,
    limit: int | None = None,
    sensor_model: AnySensorModel | None = None,
    sensor_seed: int = 0,
    real_sensor: bool = False,
    downsample_filter: DownsampleFilter = "bicubic",
    register_gt: bool = False,
) -> tuple[list[EvalFrame], str]:
    """Read frames of a named set or folder and build their LR inputs.

    Args:
        data: a named set (``rgbdd``, ``nyu_v2``...) or a folder with ``rgb/`` and ``depth/``.
        scale: down-sampling factor of the literature protocol; ignored with ``lr_dir``.
        lr_dir: sub-folder of real/precomputed LR maps (same stems) instead of ``scale``.
        depth_scale: unit of the evaluation: file value × ``depth_scale``. Default: the named
            set's metres (unit-less sets stay raw); for a folder, millimetre files -> metres
            (``0.001``). ``"unitless"``: the files have no metric unit; raw values are scored
            (unit ``raw``).
        split: ``val``, ``train`` or ``all`` (group split by capture day, see data.splits).
        root: data root of the named sets (default ``../shared/data``).
        limit: keep at most this many frames, evenly spaced (``None``: all).
        sensor_model: degrade each bicubic LR map with this sensor model (noise, holes,
            flying pixels, misregistration; metric sets only): a "noisy LR" protocol that is
            reproducible (frame ``i`` uses ``default_rng([sensor_seed, i])``).
        sensor_seed: seed of the sensor model.
        real_sensor: real-sensor protocol: the LR input is
            :func:`~bridgenet_ros.eval.real_sensor.self_downsample` of the HR depth (holes
            excluded from the kernel) instead of the literature's bicubic protocol.
        downsample_filter: ``bicubic`` or ``box``, the filter of ``real_sensor``.
        register_gt: a secondary protocol: move each frame's HR depth onto its RGB first
            (:func:`~bridgenet_ros.data.registration.register_depth_to_rgb`, the training
            rule), so the reference and the LR agree with the image; not the literature's.

    Returns:
        The frames and the unit label.

    Raises:
        ConfigError: if neither ``scale`` nor ``lr_dir`` is given.
        DataError: for unreadable data.
    """
    from bridgenet_ros.data.folders import NAMED_SETS, RGBDFolder
    from bridgenet_ros.data.splits import FIXED_TRAIN_STEMS

    _check_lr_protocol(scale, lr_dir, sensor_model, real_sensor)
    folder, file_metres, group_by = _resolve_folder(data, root)
    if depth_scale == "unitless":
        file_metres, depth_scale = None, None
    elif isinstance(depth_scale, str):
        raise ConfigError(
            f"depth scale {depth_scale!r}: give a positive number or 'unitless' (raw values)"
        )
    if sensor_model is not None and (lr_dir is not None or file_metres is None):
        raise ConfigError(
            "the sensor model degrades bicubic LR of metric depth: use it with --scale on a "
            "metric set (not with --lr-dir or a unit-less set such as middlebury)"
        )
    factor, unit = _depth_unit(depth_scale, file_metres)
    folder_set = RGBDFolder(
        folder,
        depth_scale=factor,
        lr_subdir=lr_dir,
        group_by=group_by,
        split=split,  # type: ignore[arg-type]
        name=data if data in NAMED_SETS else None,
        train_stems=FIXED_TRAIN_STEMS.get(
            data
        ),  # e.g. middlebury: the scenes held out of training
    )
    recipe = _LRRecipe(
        scale=scale,
        from_files=lr_dir is not None,
        real_sensor=real_sensor,
        downsample_filter=downsample_filter,
        sensor_model=sensor_model,
        sensor_seed=sensor_seed,
        metres_per_unit=(
            file_metres / factor if file_metres is not None and factor is not None else None
        ),
    )
    return _build_frames(folder_set, recipe, limit, register_gt), unit


def _build_frames(
    folder_set: Any, recipe: _LRRecipe, limit: int | None, register_gt: bool
) -> list[EvalFrame]:
    """The evaluation frames of ``folder_set`` (see :func:`load_eval_frames`)."""
    frames = []
    for i in _spread_indices(len(folder_set), limit):
        sample = folder_set[i]
        depth_hr = sample.depth_hr
        if register_gt:
            from bridgenet_ros.data import registration as reg

            depth_hr, _ = reg.register_depth_to_rgb(
                sample.rgb, depth_hr, reg.DEFAULT_MAX_SHIFT_PX, reg.DEFAULT_MIN_GAIN
            )
        depth_lr = recipe.make(depth_hr, sample.depth_lr, sample.rgb, i)
        frames.append(EvalFrame(sample.name, sample.rgb, depth_hr, depth_lr))
    return frames


def _check_lr_protocol(
    scale: float | None,
    lr_dir: str | None,
    sensor_model: AnySensorModel | None,
    real_sensor: bool,
) -> None:
    """Reject combinations of LR sources that do not make one protocol."""
    if scale is None and lr_dir is None:
        raise ConfigError("give --scale S (bicubic LR) or --lr-dir NAME (LR maps in the set)")
    if real_sensor and (lr_dir is not None or scale is None or sensor_model is not None):
        raise ConfigError(
            "the real-sensor protocol makes its LR from the sensor's own depth: give --scale S, "
            "without --lr-dir or --sensor-model"
        )


def _resolve_folder(data: str, root: str | Path | None) -> tuple[Path, float | None, GroupBy]:
    """``(folder, metres per file value or None, group_by)`` of a named set or a folder.

    Raises:
        DataError: when the folder does not exist.
    """
    from bridgenet_ros.data.folders import DEFAULT_DATA_ROOT, NAMED_SETS

    base = Path(root) if root is not None else None
    group_by: GroupBy = "day"
    if data in NAMED_SETS:
        spec = NAMED_SETS[data]
        folder = (base or DEFAULT_DATA_ROOT) / spec.subdir
        file_metres = spec.depth_scale
        group_by = spec.group_by
    else:
        folder = Path(data)
        file_metres = 0.001
    if not folder.is_dir():
        raise DataError(f"{folder}: evaluation data not found (a named set or a folder)")
    return folder, file_metres, group_by


def _depth_unit(depth_scale: float | None, file_metres: float | None) -> tuple[float | None, str]:
    """``(factor applied to file values, unit label)`` of the evaluation.

    Args:
        depth_scale: the requested ``file value × depth_scale`` (``None``: the set's metres,
            or raw values for a unit-less set).
        file_metres: metres per file value, ``None`` for a unit-less set.
    """
    if depth_scale is None:
        return file_metres, unit_label(1.0 if file_metres is not None else None)
    factor = float(depth_scale)
    if file_metres is None:
        return factor, f"raw×{factor:g}"
    return factor, unit_label(file_metres / factor)


def _spread_indices(n: int, limit: int | None) -> list[int]:
    """All of ``range(n)``, or at most ``limit`` of them, evenly spaced."""
    indices = list(range(n))
    if limit is not None and limit < len(indices):
        indices = sorted({int(round(i)) for i in np.linspace(0, len(indices) - 1, limit)})
    return indices


@dataclass(frozen=True)
class _LRRecipe:
    """How :func:`load_eval_frames` makes each frame's LR input.

    Attributes:
        scale: down-sampling factor (``None`` only with ``from_files``).
        from_files: use the set's own LR maps.
        real_sensor: hole-aware self-down-sampling with ``downsample_filter``.
        downsample_filter: filter of ``real_sensor``.
        sensor_model: degrade the bicubic LR with this model (``None``: clean).
        sensor_seed: frame ``i`` uses ``default_rng([sensor_seed, i])``.
        metres_per_unit: metres per evaluation unit (set with ``sensor_model``).
    """

    scale: float | None
    from_files: bool
    real_sensor: bool
    downsample_filter: DownsampleFilter
    sensor_model: AnySensorModel | None
    sensor_seed: int
    metres_per_unit: float | None

    def make(
        self, depth_hr: np.ndarray, depth_lr: np.ndarray | None, rgb: np.ndarray, index: int
    ) -> np.ndarray:
        """The ``(h, w)`` float32 LR input of frame ``index`` (its file LR map ``depth_lr``)."""
        from bridgenet_ros.data.degradation import apply_sensor_model, bicubic_downsample

        if self.from_files:
            assert depth_lr is not None
            return depth_lr.astype(np.float32)
        assert self.scale is not None
        if self.real_sensor:
            from bridgenet_ros.eval.real_sensor import self_downsample

            return self_downsample(depth_hr, float(self.scale), method=self.downsample_filter)
        lr = bicubic_downsample(depth_hr, float(self.scale))
        if self.sensor_model is None:
            return lr
        assert self.metres_per_unit is not None
        rng = np.random.default_rng([self.sensor_seed, index])
        metres_per_unit = np.float32(self.metres_per_unit)
        lr_m = apply_sensor_model(lr * metres_per_unit, rng, self.sensor_model, rgb)
        return (lr_m / metres_per_unit).astype(np.float32)


def evaluate_frames(
    frames: Iterable[EvalFrame],
    models: Sequence[ModelMethod],
    *,
    baselines: Sequence[str] = ("bicubic", "guided"),
    guided_params: Sequence[GuidedParams] = (),
    scale: float | None,
    crop: int = 6,
    unit: str = "m",
    keep_predictions: bool = False,
    progress: Callable[[Iterable[EvalFrame]], Iterable[EvalFrame]] | None = None,
    regions: RegionConfig | None = None,
) -> EvalReport:
    """Score models and baselines on frames.

    Args:
        frames: evaluation frames.
        models: models with their pipelines (may be empty: baselines only).
        baselines: any of ``bicubic`` and ``guided``.
        guided_params: tuned guided-filter parameters (needed for ``guided``).
        scale: the scale factor (chooses the guided parameters; ``None`` with real LR: the
            frame's HR/LR width ratio is used).
        crop: border crop in pixels.
        unit: label of the depth unit.
        keep_predictions: keep every prediction (for visualisation).
        progress: optional wrapper of the frame iterable (e.g. tqdm).
        regions: score also on the ``flat`` and ``edge`` regions of each frame's ground truth
            (:func:`~bridgenet_ros.eval.regions.compute_regions` with these thresholds at the
            frame's scale); ``None``: overall scores only.

    Returns:
        The report with per-method means and per-image metrics (and ``regions`` when asked).

    Raises:
        ConfigError: for an unknown baseline or missing guided parameters.
    """
    names = _method_names(baselines, guided_params, models)
    bicubic_pipeline = _baseline_pipeline(models)
    acc = {name: MetricAccumulator() for name in names}
    region_scores = RegionScores()
    images: list[dict[str, Any]] = []
    kept: list[dict[str, np.ndarray]] = []
    iterable = progress(frames) if progress is not None else frames
    for frame in iterable:
        s = scale if scale is not None else frame.depth_hr.shape[1] / frame.depth_lr.shape[1]
        preds = _predict_frame(frame, models, bicubic_pipeline, baselines, guided_params, s)
        common = np.ones(frame.depth_hr.shape, dtype=bool)
        for pred in preds.values():
            common &= np.isfinite(pred)
        row: dict[str, Any] = {"name": frame.name}
        for name in names:
            metrics = compute_metrics(preds[name], frame.depth_hr, crop=crop, mask=common)
            acc[name].add(metrics)
            row[name] = metrics.as_dict()
        if regions is not None:
            row["regions"] = score_frame(
                region_scores,
                {n: preds[n] for n in names},
                frame.depth_hr,
                s,
                crop=crop,
                common=common,
                config=regions,
            )
        images.append(row)
        if keep_predictions:
            kept.append({"rgb": frame.rgb, "gt": frame.depth_hr, **preds})
    methods: dict[str, dict[str, float]] = {}
    for name in names:
        means: dict[str, float] = dict(acc[name].mean())
        means["n_images"] = acc[name].n_images
        methods[name] = means
    report = EvalReport(scale, crop, unit, methods, images, predictions=kept)
    if regions is not None:
        report.regions = region_scores.summary("bicubic")
    return report


def _method_names(
    baselines: Sequence[str], guided_params: Sequence[GuidedParams], models: Sequence[ModelMethod]
) -> list[str]:
    """Column names: the asked baselines (``bicubic``, ``guided`` order), then the models.

    Raises:
        ConfigError: for an unknown baseline, missing guided parameters or a repeated name.
    """
    unknown = set(baselines) - {"bicubic", "guided"}
    if unknown:
        raise ConfigError(f"unknown baseline(s) {sorted(unknown)}; choose from bicubic, guided")
    if "guided" in baselines and not guided_params:
        raise ConfigError("the guided baseline needs tuned parameters (config/guided_filter.yaml)")
    names = [b for b in ("bicubic", "guided") if b in baselines] + [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"method names must be unique, got {names}")
    return names


def _baseline_pipeline(models: Sequence[ModelMethod]) -> Any:
    """A pass-through pipeline for the baselines, ``None`` when the first model's can serve.

    The first model's ``depth_lr_up`` is the bicubic baseline unless that pipeline aligns the
    depth (``align_mode``); then the baselines run with the same settings, alignment off.
    """
    from bridgenet_ros.eval.baselines import PassThroughBackend
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    if not models:
        return DepthSRPipeline(PassThroughBackend())
    config = models[0].pipeline.config
    if config.align_mode == "off":
        return None
    return DepthSRPipeline(PassThroughBackend(), dataclasses.replace(config, align_mode="off"))


def _predict_frame(
    frame: EvalFrame,
    models: Sequence[ModelMethod],
    bicubic_pipeline: Any,
    baselines: Sequence[str],
    guided_params: Sequence[GuidedParams],
    scale: float,
) -> dict[str, np.ndarray]:
    """Every method's ``(H, W)`` prediction of one frame, by method name.

    The baselines start from the first model pipeline's ``depth_lr_up``, or from
    ``bicubic_pipeline``'s when it is given (no model, or models that align the depth: the
    baselines always see the LR map as it came); ``scale`` chooses the guided-filter parameters.
    """
    preds: dict[str, np.ndarray] = {}
    depth_lr_up: np.ndarray | None = None
    for method in models:
        result = method.pipeline.run(frame.rgb, frame.depth_lr)
        preds[method.name] = result.depth_sr
        if depth_lr_up is None and bicubic_pipeline is None:
            depth_lr_up = result.depth_lr_up
    if depth_lr_up is None:
        assert bicubic_pipeline is not None
        depth_lr_up = bicubic_pipeline.run(frame.rgb, frame.depth_lr).depth_lr_up
    if "bicubic" in baselines:
        preds["bicubic"] = depth_lr_up
    if "guided" in baselines:
        p = params_for_scale(guided_params, scale)
        preds["guided"] = guided_filter_depth(frame.rgb, depth_lr_up, p.radius, p.eps)
    return preds


def format_table(report: EvalReport) -> str:
    """A fixed-width text table of the per-method means (one row per method)."""
    header = f"{'method':24s}" + "".join(f"{n:>10s}" for n in METRIC_NAMES) + f"{'images':>8s}"
    scale = "real LR" if report.scale is None else f"x{report.scale:g}"
    lines = [f"{scale}, crop {report.crop} px, RMSE/MAE/MAD in {report.unit}", header]
    for name, m in report.methods.items():
        values = "".join(f"{m[n]:10.4f}" for n in METRIC_NAMES)
        lines.append(f"{name:24s}{values}{int(m['n_images']):8d}")
    if report.regions:
        lines += ["", format_region_table(report.regions, report.unit)]
    return "\n".join(lines)


def format_region_table(regions: dict[str, Any], unit: str) -> str:
    """Region table of the real-sensor protocol: RMSE/MAE per region and method, × bicubic."""
    header = f"{'region':9s}{'pixels':>8s}  {'method':24s}{'rmse':>10s}{'mae':>10s}"
    lines = [f"regions of the reference (RMSE/MAE in {unit}; ratio = method / bicubic)"]
    lines.append(header + f"{'rmse×':>8s}{'mae×':>8s}")
    for region, entry in regions.items():
        ratios = entry.get("ratio_to_bicubic", {})
        for i, (name, m) in enumerate(entry["methods"].items()):
            label = f"{region:9s}{entry['fraction']:8.1%}" if i == 0 else " " * 17
            r = ratios.get(name, {"rmse": math.nan, "mae": math.nan})
            values = f"{m['rmse']:10.4f}{m['mae']:10.4f}{r['rmse']:8.3f}{r['mae']:8.3f}"
            lines.append(f"{label}  {name:24s}{values}")
    return "\n".join(lines)
