# SPDX-License-Identifier: Apache-2.0
"""Group splits are deterministic and never split a group; fixed splits are allow-lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgenet_ros.data.folders import RGBDFolder, open_named_set
from bridgenet_ros.data.splits import (
    MIDDLEBURY_HELD_OUT,
    MIDDLEBURY_SCENES,
    MIDDLEBURY_TRAIN_STEMS,
    capture_day,
    fixed_split_indices,
    group_for_stem,
    split_groups,
    split_indices,
)
from bridgenet_ros.errors import ConfigError

from .helpers import ramp_mm, write_pair


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


def test_middlebury_fixed_split(shared_data: Path) -> None:
    train = open_named_set("middlebury", shared_data, split="train")
    held_out = open_named_set("middlebury", shared_data, split="val")
    assert set(train.names) == MIDDLEBURY_TRAIN_STEMS and len(train) == 18
    assert set(held_out.names) == MIDDLEBURY_HELD_OUT
    assert {MIDDLEBURY_SCENES[s].split()[0] for s in held_out.names} == {
        "Cones",
        "Teddy",
        "Venus",
        "Midd1",
        "Midd2",
        "Monopoly",
    }
    # near-duplicate views of one scene never straddle the split
    families = {s: MIDDLEBURY_SCENES[s].split()[0].rstrip("0123456789") for s in MIDDLEBURY_SCENES}
    for family in set(families.values()):
        sides = {s in MIDDLEBURY_TRAIN_STEMS for s, f in families.items() if f == family}
        assert len(sides) == 1, family


def test_fixed_split_is_an_allow_list(tmp_path: Path) -> None:
    for stem in ("01", "13", "Art"):  # a 2005 scene added by a user is never trained on
        write_pair(tmp_path, stem, ramp_mm())
    train = RGBDFolder(tmp_path, train_stems=MIDDLEBURY_TRAIN_STEMS, split="train")
    val = RGBDFolder(tmp_path, train_stems=MIDDLEBURY_TRAIN_STEMS, split="val")
    assert train.names == ["01"] and val.names == ["13", "Art"]
    assert fixed_split_indices(["01", "13"], "all", {"01"}) == [0, 1]
