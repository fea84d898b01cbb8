# SPDX-License-Identifier: Apache-2.0
"""Train/validation splits by group, so near-duplicate frames never straddle the split.

A *group* is a label shared by frames that look alike: the capture day for RGB-D-D (its file
stems are capture timestamps ``YYYYMMDDhhmmss``), the recording for a rosbag, the stem itself for
sets of unrelated scenes (Middlebury, NYU test images).

The split is deterministic and needs no random seed: the sorted distinct groups are dealt into
``k = round(1 / val_fraction)`` piles and pile ``k // 2`` is validation. For the 13 capture days of
the shared RGB-D-D set with the default ``val_fraction=0.2`` that is days 20200531, 20200705 and
20200801 (33 of 271 frames); see ``docs/data.md``.

Sets whose test images are fixed by the literature use a fixed split instead: an allow-list of
training stems, everything else held out (``split="val"``). Middlebury: see
:data:`MIDDLEBURY_SCENES` and :data:`MIDDLEBURY_TRAIN_STEMS`.
"""

from __future__ import annotations

import re
from typing import Collection, Iterable, Literal, Sequence

from bridgenet_ros.errors import ConfigError

__all__ = [
    "FIXED_TRAIN_STEMS",
    "MIDDLEBURY_HELD_OUT",
    "MIDDLEBURY_SCENES",
    "MIDDLEBURY_TRAIN_STEMS",
    "GroupBy",
    "Split",
    "capture_day",
    "fixed_split_indices",
    "group_for_stem",
    "split_groups",
    "split_indices",
]

GroupBy = Literal["day", "stem", "set"]
Split = Literal["train", "val", "all"]

_TIMESTAMP = re.compile(r"^(\d{8})\d{6}")

#: stems of the shared ``middlebury`` set -> scene (year). The set numbers the alphabetical
#: "Middlebury 30" list; its gaps 02, 06, 14, 18, 21, 24 are the 2005 scenes Art, Books, Dolls,
#: Laundry, Moebius and Reindeer - the images the depth-SR literature reports on - which are
#: not in the shared data. Files with other stems (e.g. those 2005 scenes, added by a user) are
#: never training data: the training side is an allow-list.
MIDDLEBURY_SCENES: dict[str, str] = {
    "01": "Aloe (2006)",
    "03": "Baby1 (2006)",
    "04": "Baby2 (2006)",
    "05": "Baby3 (2006)",
    "07": "Bowling1 (2006)",
    "08": "Bowling2 (2006)",
    "09": "Cloth1 (2006)",
    "10": "Cloth2 (2006)",
    "11": "Cloth3 (2006)",
    "12": "Cloth4 (2006)",
    "13": "Cones (2003)",
    "15": "Flowerpots (2006)",
    "16": "Lampshade1 (2006)",
    "17": "Lampshade2 (2006)",
    "19": "Midd1 (2006)",
    "20": "Midd2 (2006)",
    "22": "Monopoly (2006)",
    "23": "Plastic (2006)",
    "25": "Rocks1 (2006)",
    "26": "Rocks2 (2006)",
    "27": "Teddy (2003)",
    "28": "Wood1 (2006)",
    "29": "Wood2 (2006)",
    "30": "Venus (2001)",
}

#: Middlebury scenes held out of training (the test side, ``split="val"``): the 2003 benchmark
#: scenes Cones and Teddy, the 2001 Venus, both Midd views (one scene) and Monopoly (a flat
#: textured board: the texture-copying trap). Near-duplicate views of one scene (Baby1-3,
#: Cloth1-4, ...) are all on one side.
MIDDLEBURY_HELD_OUT: frozenset[str] = frozenset({"13", "19", "20", "22", "27", "30"})

#: Middlebury stems that may be trained on (the 18 others)
MIDDLEBURY_TRAIN_STEMS: frozenset[str] = frozenset(MIDDLEBURY_SCENES) - MIDDLEBURY_HELD_OUT

#: named set -> allow-list of training stems (a fixed split replaces the group split)
FIXED_TRAIN_STEMS: dict[str, frozenset[str]] = {"middlebury": MIDDLEBURY_TRAIN_STEMS}


def capture_day(stem: str) -> str | None:
    """Capture day ``YYYYMMDD`` of a timestamp-like stem (``20200509112638`` -> ``20200509``).

    Returns:
        The day, or ``None`` when the stem does not start with 14 digits.
    """
    match = _TIMESTAMP.match(stem)
    return match.group(1) if match else None


def group_for_stem(stem: str, group_by: GroupBy, set_name: str = "") -> str:
    """Group label of one frame.

    Args:
        stem: file stem, e.g. ``20200509112638``.
        group_by: ``day`` (capture day of a timestamp stem, else the stem), ``stem`` (every frame
            its own group) or ``set`` (the whole set is one group, e.g. one video sequence).
        set_name: the set's name, used by ``set``.

    Returns:
        The group label.
    """
    if group_by == "day":
        return capture_day(stem) or stem
    if group_by == "stem":
        return stem
    if group_by == "set":
        return set_name or "set"
    raise ConfigError(f"group_by must be 'day', 'stem' or 'set', got {group_by!r}")


def split_groups(groups: Iterable[str], val_fraction: float = 0.2) -> tuple[set[str], set[str]]:
    """Deal the distinct groups into train and validation sets, deterministically.

    Args:
        groups: group labels (repeats allowed).
        val_fraction: wanted share of *groups* in validation, in ``(0, 1)``; ``0`` puts
            everything in train.

    Returns:
        ``(train_groups, val_groups)``. With a single group it goes to train.

    Raises:
        ConfigError: if ``val_fraction`` is outside ``[0, 1)``.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
    distinct = sorted(set(groups))
    if val_fraction == 0.0 or len(distinct) < 2:
        return set(distinct), set()
    k = max(2, round(1.0 / val_fraction))
    val = {g for i, g in enumerate(distinct) if i % k == k // 2}
    return set(distinct) - val, val


def split_indices(groups: Sequence[str], split: Split, val_fraction: float = 0.2) -> list[int]:
    """Indices of the frames that belong to ``split``.

    Args:
        groups: group label of every frame, in frame order.
        split: ``train``, ``val`` or ``all``.
        val_fraction: see :func:`split_groups`.

    Returns:
        Sorted frame indices.
    """
    if split == "all":
        return list(range(len(groups)))
    train, val = split_groups(groups, val_fraction)
    if split == "train":
        wanted = train
    elif split == "val":
        wanted = val
    else:
        raise ConfigError(f"split must be 'train', 'val' or 'all', got {split!r}")
    return [i for i, g in enumerate(groups) if g in wanted]


def fixed_split_indices(
    stems: Sequence[str], split: Split, train_stems: Collection[str]
) -> list[int]:
    """Indices of a fixed split: ``train`` = stems in the allow-list, ``val`` = all others.

    Args:
        stems: file stem of every frame, in frame order.
        split: ``train``, ``val`` (the held-out frames) or ``all``.
        train_stems: the stems that may be trained on.

    Returns:
        Sorted frame indices.
    """
    if split == "all":
        return list(range(len(stems)))
    if split not in ("train", "val"):
        raise ConfigError(f"split must be 'train', 'val' or 'all', got {split!r}")
    wanted = split == "train"
    return [i for i, stem in enumerate(stems) if (stem in train_stems) == wanted]
