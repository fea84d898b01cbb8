# SPDX-License-Identifier: Apache-2.0
"""Group splits are deterministic and never split a group."""

from __future__ import annotations

import pytest

from bridgenet_ros.data.splits import capture_day, group_for_stem, split_groups, split_indices
from bridgenet_ros.errors import ConfigError


def test_capture_day() -> None:
    assert capture_day("20200509112638") == "20200509"
    assert capture_day("01") is None
    assert group_for_stem("01", "day") == "01"
    assert group_for_stem("x", "set", "tum") == "tum"


def test_split_groups_disjoint_and_deterministic() -> None:
    groups = [f"2020{m:02d}01" for m in range(1, 11) for _ in range(3)]
    train, val = split_groups(groups, 0.2)
    assert train.isdisjoint(val) and len(val) == 2 and len(train) == 8
    assert split_groups(list(reversed(groups)), 0.2) == (train, val)
    val_idx = split_indices(groups, "val")
    assert {groups[i] for i in val_idx} == val
    assert sorted(split_indices(groups, "train") + val_idx) == list(range(len(groups)))


def test_single_group_goes_to_train() -> None:
    assert split_groups(["a", "a"], 0.2) == ({"a"}, set())
    with pytest.raises(ConfigError):
        split_groups(["a"], 1.0)
