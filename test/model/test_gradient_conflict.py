# SPDX-License-Identifier: Apache-2.0
"""scripts/gradient_conflict.py: per-group gradients of the SR and MDE loss terms."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from bridgenet_ros.model import create_model

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gradient_conflict.py"
_spec = importlib.util.spec_from_file_location("gradient_conflict", _SCRIPT)
assert _spec is not None and _spec.loader is not None
conflict = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conflict)


def _batches(count: int) -> list[dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    return [
        {
            "rgb": torch.rand(2, 3, 32, 32),
            "depth_lr_up_norm": torch.rand(2, 1, 32, 32),
            "depth_hr_norm": torch.rand(2, 1, 32, 32),
            "mask_valid": torch.ones(2, 1, 32, 32),
        }
        for _ in range(count)
    ]


def test_mde_term_reaches_dsr_only_through_cgbdg() -> None:
    torch.manual_seed(1)
    joint = create_model("test")
    sums = conflict.mean_gradients(joint, _batches(3), batches=2, mde_weight=0.5)
    assert float(sums["mde"]["dsr.first_conv.weight"].abs().sum()) > 0.0
    assert all(
        float(g.abs().sum()) == 0.0 for n, g in sums["sr"].items() if n.startswith("mde.head")
    )
    stopped = create_model("test", cgbdg_stop_gradient=True)
    stopped.load_state_dict(joint.state_dict())
    cut = conflict.mean_gradients(stopped, _batches(3), batches=2, mde_weight=0.5)
    assert all(float(g.abs().sum()) == 0.0 for n, g in cut["mde"].items() if n.startswith("dsr."))
    # the SR term is the same either way; the MDE term scales with its weight
    torch.testing.assert_close(
        cut["sr"]["dsr.head.0.conv1.weight"], sums["sr"]["dsr.head.0.conv1.weight"]
    )
    double = conflict.mean_gradients(joint, _batches(3), batches=2, mde_weight=1.0)
    torch.testing.assert_close(
        double["mde"]["mde.head.0.weight"], 2 * sums["mde"]["mde.head.0.weight"]
    )


def test_group_table_norms_and_cosine() -> None:
    sums = {
        "sr": {"dsr.a.w": torch.tensor([3.0, 0.0]), "mde.b.w": torch.tensor([0.0, 0.0])},
        "mde": {"dsr.a.w": torch.tensor([-6.0, 0.0]), "mde.b.w": torch.tensor([1.0, 0.0])},
    }
    lines = conflict.group_table(sums)
    dsr = next(line for line in lines if line.startswith("dsr.a")).split()
    assert [float(v) for v in dsr[1:]] == [3.0, 6.0, -1.0]
    mde = next(line for line in lines if line.startswith("mde.b")).split()
    assert mde[3] == "nan"
