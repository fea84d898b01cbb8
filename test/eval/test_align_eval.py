# SPDX-License-Identifier: Apache-2.0
"""bridgenet eval's baselines and the models' depth-to-RGB alignment."""

from __future__ import annotations

import pytest

from bridgenet_ros.eval.baselines import PassThroughBackend
from bridgenet_ros.eval.evaluate import EvalFrame, ModelMethod, evaluate_frames
from bridgenet_ros.runtime.config import RuntimeConfig
from bridgenet_ros.runtime.pipeline import DepthSRPipeline

from ..runtime.test_align import SCALE, lr_of, scene


def test_eval_baselines_ignore_the_models_alignment() -> None:
    rgb, depth = scene()
    frame = EvalFrame(name="f", rgb=rgb, depth_hr=depth, depth_lr=lr_of(depth, (6, -4)))
    aligned = ModelMethod(
        "bicubic+align", DepthSRPipeline(PassThroughBackend(), RuntimeConfig(align_mode="auto"))
    )
    report = evaluate_frames([frame], [aligned], baselines=("bicubic",), scale=SCALE, crop=4)
    plain = evaluate_frames([frame], [], baselines=("bicubic",), scale=SCALE, crop=4)
    assert report.methods["bicubic"]["rmse"] == pytest.approx(plain.methods["bicubic"]["rmse"])
    assert report.methods["bicubic+align"]["rmse"] < 0.6 * report.methods["bicubic"]["rmse"]
