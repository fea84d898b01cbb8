# SPDX-License-Identifier: Apache-2.0
"""The shipped checkpoint is real: it loads and beats bicubic on data it never saw.

``models/bridgenet_lite.pt`` is part of the repository: its absence is a failure, not a skip.
Only the real data folder may be absent (then the data-dependent checks skip with the reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgenet_ros.eval.evaluate import ModelMethod, evaluate_frames, load_eval_frames

pytestmark = pytest.mark.slow


def _method(path: Path) -> ModelMethod:
    from bridgenet_ros.runtime.backends.torch_backend import TorchBackend
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    return ModelMethod("ours", DepthSRPipeline(TorchBackend(path)))


def test_shipped_checkpoint_loads_with_metadata(shipped: Path) -> None:
    from bridgenet_ros.model import load_model

    model = load_model(shipped)
    assert model.config.variant == "lite" and model.has_mde
    meta = model.metadata
    assert meta["train_config"]["data"]["scale_range"] == [2.0, 16.0]
    assert meta["step"] > 0 and meta["train_time_s"] > 0


def test_shipped_beats_bicubic_on_nyu_v2(shipped: Path, shared_data: Path) -> None:
    frames, _ = load_eval_frames("nyu_v2", scale=8.0, root=shared_data)
    assert len(frames) == 3
    report = evaluate_frames(frames, [_method(shipped)], baselines=("bicubic",), scale=8.0, crop=6)
    ours, bicubic = report.methods["ours"], report.methods["bicubic"]
    assert ours["rmse"] < bicubic["rmse"], (ours, bicubic)


@pytest.mark.parametrize("model", ["bridgenet_lite.pt", "bridgenet_lite_hr.pt"])
def test_aligned_real_lr_reaches_the_issue_target(
    repo_root: Path, shared_data: Path, model: str
) -> None:
    """Issue 12: <= 0.9x bicubic on the real phone-ToF LR, with ``align_mode: auto``.

    The gain is mostly the alignment's (docs/results.md "Alignment"): the model must also beat
    the aligned bicubic map, so the network still adds to it.
    """
    from bridgenet_ros.eval.baselines import PassThroughBackend
    from bridgenet_ros.runtime.backends.torch_backend import TorchBackend
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    frames, _ = load_eval_frames("rgbdd_realscene", scale=None, lr_dir="lr", root=shared_data)
    config = RuntimeConfig(align_mode="auto")
    methods = [
        ModelMethod("ours", DepthSRPipeline(TorchBackend(repo_root / "models" / model), config)),
        ModelMethod("aligned_bicubic", DepthSRPipeline(PassThroughBackend(), config)),
    ]
    report = evaluate_frames(frames, methods, baselines=("bicubic",), scale=None, crop=6)
    ours, bicubic = report.methods["ours"]["rmse"], report.methods["bicubic"]["rmse"]
    assert ours <= 0.9 * bicubic, (ours, bicubic)
    assert ours < report.methods["aligned_bicubic"]["rmse"]


def test_shipped_clearly_beats_bicubic_on_rgbdd_validation_x16(
    shipped: Path, shared_data: Path
) -> None:
    """Validation days only (never trained on); docs/results.md has all 33 frames: 0.66x."""
    frames, _ = load_eval_frames("rgbdd", scale=16.0, split="val", limit=8, root=shared_data)
    report = evaluate_frames(
        frames, [_method(shipped)], baselines=("bicubic",), scale=16.0, crop=6
    )
    ours, bicubic = report.methods["ours"], report.methods["bicubic"]
    assert ours["rmse"] < 0.85 * bicubic["rmse"], (ours, bicubic)


def test_shipped_beats_bicubic_on_noisy_lr_validation_x8(shipped: Path, shared_data: Path) -> None:
    """LR degraded by the ToF sensor model (docs/results.md, all 33 frames: 0.680x bicubic)."""
    from bridgenet_ros.config_io import from_mapping, load_yaml
    from bridgenet_ros.data.degradation import SensorModelConfig

    sensor = from_mapping(
        SensorModelConfig, load_yaml(shipped.parents[1] / "config" / "sensor_model_tof.yaml")
    )
    frames, _ = load_eval_frames(
        "rgbdd", scale=8.0, split="val", limit=8, root=shared_data, sensor_model=sensor
    )
    report = evaluate_frames(frames, [_method(shipped)], baselines=("bicubic",), scale=8.0, crop=6)
    ours, bicubic = report.methods["ours"], report.methods["bicubic"]
    assert ours["rmse"] < 0.85 * bicubic["rmse"], (ours, bicubic)


def test_shipped_beats_bicubic_on_rgbdd_realscene_real_lr(
    shipped: Path, shared_data: Path
) -> None:
    frames, _ = load_eval_frames("rgbdd_realscene", scale=None, lr_dir="lr", root=shared_data)
    report = evaluate_frames(
        frames, [_method(shipped)], baselines=("bicubic",), scale=None, crop=6
    )
    ours, bicubic = report.methods["ours"], report.methods["bicubic"]
    assert ours["rmse"] < bicubic["rmse"], (ours, bicubic)


#: measured flat-region RMSE of each shipped model vs bicubic, in mm, real-sensor protocol, on the
#: frames of the test below (redwood 00000, tum 00000); docs/results.md "Real-sensor protocol"
_FLAT_GAP = {
    ("bridgenet_lite.pt", 4.0): "redwood 5.595 vs 5.466 (1.024x), tum 8.544 vs 6.160 (1.387x)",
    ("bridgenet_lite.pt", 8.0): "redwood 6.343 vs 6.172 (1.028x), tum 9.713 vs 8.550 (1.136x)",
    ("bridgenet_lite_hr.pt", 4.0): "redwood 5.476 vs 5.466 (1.002x), tum 6.693 vs 6.160 (1.087x)",
    ("bridgenet_lite_hr.pt", 8.0): "redwood 6.166 vs 6.172 (0.999x), tum 8.834 vs 8.550 (1.033x)",
}


@pytest.mark.parametrize(
    ("model", "scale"),
    [
        pytest.param(
            model,
            s,
            marks=pytest.mark.xfail(
                strict=True,
                raises=AssertionError,
                reason="known gap (issue 12, docs/results.md 'Real-sensor protocol'): on flat "
                f"regions of self-down-sampled real sensor depth {model} is worse than bicubic "
                f"at x{s:g}: {gap}. Strict: remove this marker when it is never worse there.",
            ),
        )
        for (model, s), gap in _FLAT_GAP.items()
    ],
)
def test_shipped_never_worse_than_bicubic_on_flat_real_sensor_depth(
    repo_root: Path, shared_data: Path, model: str, scale: float
) -> None:
    """Issue-12 target: <= 1.0x bicubic RMSE on the flat regions of real sensor depth."""
    from bridgenet_ros.eval.regions import RegionConfig

    frames = []
    for name, depth_scale in (("raw_sensor/redwood", 1.0), ("raw_sensor/tum", 0.2)):  # mm
        found, unit = load_eval_frames(
            name, scale=scale, depth_scale=depth_scale, limit=1, root=shared_data, real_sensor=True
        )
        assert unit == "mm" and len(found) == 1
        frames += found
    report = evaluate_frames(
        frames,
        [_method(repo_root / "models" / model)],
        baselines=("bicubic",),
        scale=scale,
        crop=6,
        regions=RegionConfig(),
    )
    flat = [
        (img["regions"]["flat"]["ours"], img["regions"]["flat"]["bicubic"])
        for img in report.images
    ]
    for ours, bicubic in flat:
        assert ours["n"] == bicubic["n"] > 10_000  # a real flat region, the same pixels
    assert all(ours["rmse"] <= bicubic["rmse"] for ours, bicubic in flat), flat


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="known gap (issue 12, docs/architecture.md 'Stage 2 measurements'): with each "
    "frame's RGB replaced by its mean colour the shipped lite is worse than bicubic at x4 "
    "(4 validation frames: 2.84 vs 2.68 cm; all 33: 3.234 vs 2.917). Strict: remove this "
    "marker when a model keeps the depth where the RGB gives no evidence.",
)
def test_shipped_without_rgb_guidance_not_worse_than_bicubic(
    shipped: Path, shared_data: Path
) -> None:
    """With no RGB evidence (flat RGB) the output must not be worse than its up-sampled input."""
    from bridgenet_ros.eval.guidance import flat_rgb_frames

    frames, _ = load_eval_frames("rgbdd", scale=4.0, split="val", limit=4, root=shared_data)
    flat = flat_rgb_frames(frames)
    report = evaluate_frames(flat, [_method(shipped)], baselines=("bicubic",), scale=4.0, crop=6)
    ours, bicubic = report.methods["ours"], report.methods["bicubic"]
    assert ours["rmse"] <= bicubic["rmse"], (ours, bicubic)


@pytest.mark.parametrize("model", ["bridgenet_lite.pt", "bridgenet_lite_hr.pt"])
def test_flat_guard_brings_flat_regions_to_bicubic(
    repo_root: Path, shared_data: Path, model: str
) -> None:
    """``flat_guard``: flat regions of real sensor depth within 1 % of bicubic.

    RGB-D-D validation frames at x4; the guard must also improve on the plain model
    (docs/results.md "Flat guard", all 33 frames: 1.066 -> 1.004 and 1.035 -> 1.000).
    """
    from bridgenet_ros.eval.regions import RegionConfig
    from bridgenet_ros.runtime.backends.torch_backend import TorchBackend
    from bridgenet_ros.runtime.config import RuntimeConfig
    from bridgenet_ros.runtime.pipeline import DepthSRPipeline

    frames, _ = load_eval_frames(
        "rgbdd", scale=4.0, split="val", limit=6, root=shared_data, real_sensor=True
    )
    backend = TorchBackend(repo_root / "models" / model)
    methods = [
        ModelMethod("plain", DepthSRPipeline(backend)),
        ModelMethod("guard", DepthSRPipeline(backend, RuntimeConfig(flat_guard=True))),
    ]
    report = evaluate_frames(
        frames, methods, baselines=("bicubic",), scale=4.0, crop=6, regions=RegionConfig()
    )
    flat = report.regions["flat"]["ratio_to_bicubic"]
    assert flat["guard"]["rmse"] <= 1.01, flat
    assert flat["guard"]["rmse"] < flat["plain"]["rmse"], flat
    edge = report.regions["edge"]["ratio_to_bicubic"]
    assert edge["guard"]["rmse"] <= 1.003 * edge["plain"]["rmse"], edge  # edges keep the net
