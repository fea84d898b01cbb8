# SPDX-License-Identifier: Apache-2.0
"""``FrameSequence``: the indexing every frame source shares (an int, a slice, iteration).

A source (``RGBDFolder``, ``NYUv2Mat``, ``RosbagRGBD``, ``SyntheticScenes``) implements
``__len__`` and ``_frame(index)`` for a non-negative index in range; this base turns negative
indices, slices (a list of frames) and iteration into calls of ``_frame``, and raises
``IndexError`` out of range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Iterator, TypeVar, overload

__all__ = ["FrameSequence"]

T = TypeVar("T")


class FrameSequence(Sequence[T]):
    """A read-only sequence of frames built on demand by ``_frame``."""

    def _frame(self, index: int) -> T:
        """Frame ``index`` (``0 <= index < len(self)``); implemented by each source."""
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        """Frame ``index`` (negative counts from the end), or a list of frames for a slice."""
        if isinstance(index, slice):
            return [self._frame(i) for i in range(*index.indices(len(self)))]
        size = len(self)
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError(f"frame index {index} out of range for {size} frames")
        return self._frame(position)

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self)):
            yield self._frame(i)
