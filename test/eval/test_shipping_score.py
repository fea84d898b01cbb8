# SPDX-License-Identifier: Apache-2.0
"""scripts/shipping_score.py: the shipping score A and the extra protocols scored beside it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "shipping_score.py"
_spec = importlib.util.spec_from_file_location("shipping_score", _SCRIPT)
assert _spec is not None and _spec.loader is not None
shipping_score = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shipping_score)


def test_extra_protocol_is_scored_beside_a_not_in_it(
    shared_data: Path, test_checkpoint: Path, repo_root: Path
) -> None:
    holes = str(repo_root / "config" / "sensor_model_tof_holes.yaml")
    table = shipping_score.score([str(test_checkpoint)], 2, {"holes": holes})
    assert set(table) == {"0:" + test_checkpoint.stem, "bicubic"}
    for row in table.values():
        a_terms = [row[f"{p}_x{s}"] for p in ("clean", "noisy") for s in (4, 8, 16)]
        assert row["A"] == pytest.approx(sum(a_terms) / 6)
        holes_terms = [row[f"holes_x{s}"] for s in (4, 8, 16)]
        assert row["holes"] == pytest.approx(sum(holes_terms) / 3)
        # another degradation: the holes protocol does not repeat the noisy one's numbers
        assert holes_terms != [row[f"noisy_x{s}"] for s in (4, 8, 16)]
