# SPDX-License-Identifier: Apache-2.0
r"""``bridgenet eval``: score models and baselines on an RGB-D set through the runtime pipeline.

Examples::

    bridgenet eval --data rgbdd --split val --scale 8 --depth-scale 0.1 --crop 6 \
        --model models/bridgenet_lite.pt --model models/dsr_only.pt --json x8.json
    bridgenet eval --data rgbdd_realscene --lr-dir lr --depth-scale 0.1 \
        --model models/bridgenet_lite.pt
    bridgenet eval --data middlebury --scale 4 --crop 0 --model models/bridgenet_lite.pt
    bridgenet eval --data rgbdd --split val --tune-guided config/guided_filter.yaml
    bridgenet eval --data raw_sensor/redwood --real-sensor --scale 4 --depth-scale 1 \
        --model models/bridgenet_lite.pt --baselines bicubic,guided

``--real-sensor``: the sensor's own depth is the reference and, self-down-sampled with holes
excluded (:mod:`bridgenet_ros.eval.real_sensor`), the LR input; scores overall and on the flat and
edge regions of the reference (:mod:`bridgenet_ros.eval.regions`), with ratios to bicubic.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridgenet_ros.eval.evaluate import ModelMethod
    from bridgenet_ros.eval.regions import RegionConfig

HELP = "evaluate checkpoints vs bicubic and guided-filter baselines (RMSE, MAE, MAD, δ1, AbsRel)"

DEFAULT_GUIDED = "config/guided_filter.yaml"

#: ``--depth-scale`` words meaning "the files have no metric unit"
UNITLESS_WORDS = ("none", "unitless", "raw")


def depth_scale_arg(text: str) -> float | str:
    """``--depth-scale``: a positive number, or ``none``/``unitless``/``raw`` (unit-less)."""
    if text.strip().lower() in UNITLESS_WORDS:
        return "unitless"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive number (file value x K) or 'none' (unit-less), got {text!r}"
        )
    return value


def resolve_config_path(path: str) -> Path:
    """A config file named on the command line, found from any working directory.

    An existing path (absolute or relative to the working directory) is used as is; a relative
    path that does not exist there is looked up in the repository (source checkout) and in the
    installed package's ``share/bridgenet_ros`` (ROS workspace).

    Raises:
        ConfigError: if no candidate exists (the message lists them).
    """
    from bridgenet_ros.errors import ConfigError

    given = Path(path).expanduser()
    candidates = [given]
    if not given.is_absolute():
        candidates.append(Path(__file__).resolve().parents[2] / given)
        try:
            from ament_index_python.packages import get_package_share_directory

            candidates.append(Path(get_package_share_directory("bridgenet_ros")) / given)
        except Exception:  # noqa: BLE001 - no ament index / package not installed: not a candidate
            pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"config file {path!r} not found (tried {tried}); give an existing path")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bridgenet eval``."""
    parser.add_argument(
        "--data",
        required=True,
        help="named set (rgbdd, rgbdd_realscene, nyu_v2, middlebury) or folder",
    )
    parser.add_argument("--data-root", default=None, help="root of the named sets")
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="LR = PIL-bicubic down-sampling of the HR depth by this factor",
    )
    parser.add_argument("--lr-dir", default=None, help="read LR maps from DATA/LR_DIR instead")
    parser.add_argument(
        "--depth-scale",
        type=depth_scale_arg,
        default=None,
        help="unit of the scores: file value x K (e.g. 0.1: mm -> cm), or 'none' for unit-less"
        " files (raw values, e.g. 8-bit disparity maps)",
    )
    parser.add_argument("--crop", type=int, default=6, help="border crop in pixels (default 6)")
    parser.add_argument(
        "--split",
        choices=("val", "train", "all"),
        default="all",
        help="group split of the set (RGB-D-D: by capture day)",
    )
    parser.add_argument("--limit", type=int, default=None, help="at most N images")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="checkpoint/ONNX file (repeat to compare several)",
    )
    parser.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch")
    parser.add_argument(
        "--baselines", default="bicubic,guided", help="comma list of bicubic, guided (or 'none')"
    )
    parser.add_argument(
        "--guided-config",
        default=DEFAULT_GUIDED,
        help=f"tuned guided-filter parameters (default {DEFAULT_GUIDED})",
    )
    parser.add_argument(
        "--tune-guided",
        metavar="OUT",
        default=None,
        help="tune the guided filter on this data (use --split val) at the"
        " scales of --tune-scales and write the parameters to OUT",
    )
    parser.add_argument("--tune-scales", default="4,8,16", help="scales for --tune-guided")
    parser.add_argument(
        "--sensor-model",
        default=None,
        metavar="YAML",
        help="noisy-LR protocol: degrade the bicubic LR with the sensor model of"
        " this YAML (config/sensor_model_tof.yaml, config/sensor_model_stereo.yaml or"
        " config/sensor_model_lidar.yaml)",
    )
    parser.add_argument("--sensor-seed", type=int, default=0, help="seed of --sensor-model")
    parser.add_argument(
        "--real-sensor",
        action="store_true",
        help="real-sensor protocol: LR = hole-aware self-down-sampling of the sensor's own"
        " depth by --scale, that depth the reference; adds flat / edge-band scores and ratios"
        " to bicubic (raw_sensor/redwood, raw_sensor/tum, rgbdd_realscene, any folder)",
    )
    parser.add_argument(
        "--downsample-filter",
        choices=("bicubic", "box"),
        default="bicubic",
        help="filter of --real-sensor's down-sampling (default bicubic, as the literature)",
    )
    parser.add_argument(
        "--regions",
        default=None,
        metavar="YAML",
        help="region thresholds (RegionConfig keys of bridgenet_ros.eval.regions) for"
        " --real-sensor; default: the documented defaults",
    )
    parser.add_argument(
        "--align",
        choices=("off", "auto"),
        default="off",
        help="auto: the models' pipelines move each LR map onto the RGB by its estimated shift"
        " (runtime align_mode; bridgenet_ros.runtime.align), and an aligned bicubic"
        " ('bicubic+align') is scored beside the plain baselines",
    )
    parser.add_argument(
        "--flat-guard",
        choices=("off", "on", "both"),
        default="off",
        help="on: the models' pipelines keep the up-sampled input where the LR depth is locally"
        " a plane (runtime flat_guard; bridgenet_ros.runtime.flat_guard); both: score each"
        " model without and with it ('<model>+guard')",
    )
    parser.add_argument("--json", default=None, help="write the results as JSON here")
    parser.add_argument("--vis", default=None, help="write best/worst comparison PNGs here")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")


def _model_methods(args: argparse.Namespace) -> list[ModelMethod]:
    """One pipeline per ``--model`` and guard setting (with ``--align``), + ``bicubic+align``."""
    from bridgenet_ros.errors import ConfigError
    from bridgenet_ros.eval.baselines import PassThroughBackend
    from bridgenet_ros.eval.evaluate import ModelMethod
    from bridgenet_ros.runtime.backends.graph_runner import build_runtime_pipeline
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    config = RuntimeConfig(align_mode=args.align)
    guards = {"off": (False,), "on": (True,), "both": (False, True)}[args.flat_guard]
    models: list[ModelMethod] = []
    for path in args.model:
        stem = Path(path).stem
        if any(m.name == stem for m in models):
            raise ConfigError(f"two --model files share the name {stem!r}; rename one")
        for guard in guards:
            name = f"{stem}+guard" if guard and args.flat_guard == "both" else stem
            guarded = dataclasses.replace(config, flat_guard=guard)
            models.append(ModelMethod(name, build_runtime_pipeline(args.backend, path, guarded)))
    if args.align == "auto":
        models.append(ModelMethod("bicubic+align", DepthSRPipeline(PassThroughBackend(), config)))
    return models


def _tune(args: argparse.Namespace) -> int:
    from bridgenet_ros.eval.baselines import save_guided_params, tune_guided
    from bridgenet_ros.eval.evaluate import load_eval_frames
    from bridgenet_ros.eval.metrics import compute_metrics
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    from bridgenet_ros.eval.baselines import PassThroughBackend  # isort: skip

    _writable_output(args.tune_guided, "--tune-guided")
    pipeline = DepthSRPipeline(PassThroughBackend())
    params = []
    lines = []
    for scale in (float(s) for s in args.tune_scales.split(",")):
        frames, unit = load_eval_frames(
            args.data,
            scale=scale,
            depth_scale=args.depth_scale,
            split=args.split,
            root=args.data_root,
            limit=args.limit,
        )
        prepared = [
            (f.rgb, pipeline.run(f.rgb, f.depth_lr).depth_lr_up, f.depth_hr) for f in frames
        ]

        def rmse(pred, gt):  # type: ignore[no-untyped-def]
            return compute_metrics(pred, gt, crop=args.crop, mask=None).rmse

        best, score = tune_guided(prepared, scale, score=rmse)
        bicubic = sum(rmse(up, gt) for _, up, gt in prepared) / len(prepared)
        params.append(best)
        line = (
            f"x{scale:g}: radius {best.radius}, eps {best.eps:g}: RMSE {score:.4f} {unit}"
            f" (bicubic {bicubic:.4f}) on {len(prepared)} {args.data}/{args.split} images"
        )
        lines.append(line)
        print(line)
    note = "\n".join(
        [
            "Guided-filter baseline (cv2.ximgproc.guidedFilter) parameters, tuned by grid search",
            f"on {args.data} split={args.split} (crop {args.crop} px, mean RMSE):",
            f"  bridgenet eval --data {args.data} --split {args.split} --tune-guided OUT"
            f" --tune-scales {args.tune_scales} --crop {args.crop}"
            f" --depth-scale {args.depth_scale} --limit {args.limit}",
            *lines,
        ]
    )
    save_guided_params(args.tune_guided, params, note)
    print(f"wrote {args.tune_guided}")
    return 0


def _lr_label(args: argparse.Namespace) -> str:
    """How the LR input was made (the JSON's ``lr`` key)."""
    if args.lr_dir:
        return str(args.lr_dir)
    if args.real_sensor:
        return f"self-downsampled sensor depth (mask-weighted {args.downsample_filter})"
    if args.sensor_model:
        return f"bicubic+sensor_model({args.sensor_model}, seed {args.sensor_seed})"
    return "bicubic"


def _region_config(args: argparse.Namespace) -> RegionConfig | None:
    """Region thresholds when regions are scored (``--real-sensor`` or ``--regions``)."""
    from bridgenet_ros.eval.regions import RegionConfig

    if args.regions:
        from bridgenet_ros.config_io import load_yaml

        return RegionConfig.from_mapping(load_yaml(resolve_config_path(args.regions)))
    return RegionConfig() if args.real_sensor else None


def _writable_folder(path: str) -> None:
    """Create ``--vis``'s folder before the evaluation.

    Raises:
        ConfigError: one line naming the path and the reason.
    """
    from bridgenet_ros.errors import ConfigError

    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--vis {path}: cannot create the folder ({err.strerror})") from None


def _writable_output(path: str, option: str = "--json") -> Path:
    """Check before the (long) evaluation that ``path`` can be written; create its folder.

    Raises:
        ConfigError: one line naming the path and the reason.
    """
    import os

    from bridgenet_ros.errors import ConfigError

    out = Path(path)
    if out.is_dir():
        raise ConfigError(f"{option} {path}: is a directory; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{option} {path}: cannot create its folder ({err.strerror})") from None
    target = out if out.exists() else out.parent
    if not os.access(target, os.W_OK):
        raise ConfigError(
            f"{option} {path}: not writable (permission denied); choose another path"
        )
    return out


def run(args: argparse.Namespace) -> int:
    """Evaluate; print the table; write JSON / PNGs when asked."""
    import json

    from tqdm import tqdm

    from bridgenet_ros.errors import ConfigError
    from bridgenet_ros.eval.baselines import load_guided_params
    from bridgenet_ros.eval.evaluate import (
        evaluate_frames,
        format_table,
        load_eval_frames,
    )

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.tune_guided:
        return _tune(args)
    baselines = [] if args.baselines in ("", "none") else args.baselines.split(",")
    json_path = _writable_output(args.json) if args.json else None
    if args.vis:
        _writable_folder(args.vis)
    guided_params = (
        load_guided_params(resolve_config_path(args.guided_config))
        if "guided" in baselines
        else []
    )
    sensor_model = None
    if args.sensor_model:
        from bridgenet_ros.data.degradation import load_sensor_model

        sensor_model = load_sensor_model(resolve_config_path(args.sensor_model))
    regions = _region_config(args)
    frames, unit = load_eval_frames(
        args.data,
        scale=args.scale,
        lr_dir=args.lr_dir,
        depth_scale=args.depth_scale,
        split=args.split,
        root=args.data_root,
        limit=args.limit,
        sensor_model=sensor_model,
        sensor_seed=args.sensor_seed,
        real_sensor=args.real_sensor,
        downsample_filter=args.downsample_filter,
    )
    models = _model_methods(args)
    report = evaluate_frames(
        frames,
        models,
        baselines=baselines,
        guided_params=guided_params,
        scale=None if args.lr_dir else args.scale,
        crop=args.crop,
        unit=unit,
        keep_predictions=bool(args.vis),
        progress=lambda it: tqdm(list(it), desc="eval", leave=False, mininterval=2.0),
        regions=regions,
    )
    report.extra.update(
        {
            "data": args.data,
            "split": args.split,
            "lr": _lr_label(args),
            "backend": args.backend,
            "models": {m.name: str(p) for m, p in zip(models, args.model)},
        }
    )
    print(format_table(report))
    if json_path is not None:
        try:
            json_path.write_text(json.dumps(report.to_json(), indent=2))
        except OSError as err:
            raise ConfigError(f"--json {args.json}: cannot write ({err.strerror})") from None
        print(f"wrote {args.json}")
    if args.vis:
        from bridgenet_ros.eval.vis import write_comparisons

        ours = models[0].name if models else ("guided" if "guided" in baselines else "bicubic")
        written = write_comparisons(report, Path(args.vis), ours=ours)
        print(f"wrote {len(written)} comparison images to {args.vis}")
    for m in models:
        m.pipeline.backend.close()
    return 0
