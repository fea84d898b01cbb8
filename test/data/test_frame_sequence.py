# SPDX-License-Identifier: Apache-2.0
"""``FrameSequence``: the indexing shared by every frame source."""

from __future__ import annotations

import pytest

from bridgenet_ros.data.frame_sequence import FrameSequence
from bridgenet_ros.data.synthetic import SyntheticScenes


class Squares(FrameSequence[int]):
    """Frames are ``index ** 2``; records which indices were built."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.built: list[int] = []

    def __len__(self) -> int:
        return self.n

    def _frame(self, index: int) -> int:
        self.built.append(index)
        return index * index


def test_int_negative_slice_iteration_and_range() -> None:
    frames = Squares(5)
    assert frames[3] == 9 and frames[-1] == 16 and frames[-5] == 0
    assert frames[1:4] == [1, 4, 9] and frames[::-2] == [16, 4, 0]
    assert list(frames) == [0, 1, 4, 9, 16] and 9 in frames
    with pytest.raises(IndexError, match="out of range"):
        frames[5]
    with pytest.raises(IndexError, match="out of range"):
        frames[-6]
    assert all(0 <= i < 5 for i in frames.built)  # sources only ever see valid indices


def test_a_real_source_uses_it() -> None:
    scenes = SyntheticScenes(0, 32, 48, length=3)
    assert [f.depth.shape for f in scenes[-2:]] == [(32, 48), (32, 48)]
    assert (scenes[-1].depth == scenes[2].depth).all()
    with pytest.raises(IndexError):
        scenes[3]
