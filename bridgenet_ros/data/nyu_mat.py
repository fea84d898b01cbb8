# SPDX-License-Identifier: Apache-2.0
"""Reader for NYU Depth v2's labelled ``nyu_depth_v2_labeled.mat`` (MATLAB v7.3 = HDF5).

MATLAB stores arrays column-major, so h5py sees every array with its axes reversed:

* ``images``: h5py shape ``(N, 3, W, H)`` uint8 -> frame ``i`` is ``images[i].transpose(2, 1, 0)``
  = ``(H, W, 3)`` RGB;
* ``depths``: ``(N, W, H)`` float (metres, in-painted) -> ``depths[i].T`` = ``(H, W)``;
* ``rawDepths`` (same layout, holes = 0) is used instead with ``raw=True``;
* ``scenes`` (optional): ``(1, N)`` object references to MATLAB char arrays (uint16 codes) such
  as ``kitchen_0028``; they are the split groups (frames of one scene never straddle the
  split). Without it each frame is its own group.

The file is opened on each access (h5py handles cannot be pickled into DataLoader workers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.data.folders import RGBDSample
from bridgenet_ros.data.frame_sequence import FrameSequence
from bridgenet_ros.data.splits import Split, split_indices
from bridgenet_ros.errors import DataError

__all__ = ["NYUv2Mat"]


class NYUv2Mat(FrameSequence[RGBDSample]):
    """NYU v2 labelled frames as :class:`RGBDSample` (depth in metres).

    Args:
        path: the ``.mat`` file.
        raw: read ``rawDepths`` (sensor depth with holes) instead of the filled ``depths``.
        split: ``train``, ``val`` or ``all`` (grouped by scene when ``scenes`` is present).
        val_fraction: share of groups in validation.

    Raises:
        DataError: if the file is missing, not HDF5, lacks the datasets or has inconsistent
            shapes.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        raw: bool = False,
        split: Split = "all",
        val_fraction: float = 0.2,
    ) -> None:
        self.path = Path(path)
        self.depth_key = "rawDepths" if raw else "depths"
        with self._open() as f:
            for key in ("images", self.depth_key):
                if key not in f:
                    raise DataError(
                        f"{self.path}: no '{key}' dataset; expected NYU Depth v2's labelled .mat "
                        "(datasets 'images' (N,3,W,H) and 'depths' (N,W,H))"
                    )
            images, depths = f["images"], f[self.depth_key]
            if images.ndim != 4 or images.shape[1] != 3 or depths.ndim != 3:
                raise DataError(
                    f"{self.path}: 'images' has shape {images.shape} and '{self.depth_key}' "
                    f"{depths.shape}; expected (N, 3, W, H) and (N, W, H)"
                )
            if images.shape[0] != depths.shape[0] or images.shape[2:] != depths.shape[1:]:
                raise DataError(
                    f"{self.path}: 'images' {images.shape} and '{self.depth_key}' "
                    f"{depths.shape} disagree in frame count or size"
                )
            count = int(images.shape[0])
            groups = self._scene_names(f, count)
        self._indices = split_indices(groups, split, val_fraction)
        self._groups = groups

    def _open(self) -> Any:
        import h5py

        if not self.path.is_file():
            raise DataError(f"{self.path}: NYU v2 .mat file not found")
        try:
            return h5py.File(self.path, "r")
        except OSError as err:
            raise DataError(
                f"{self.path}: cannot open as HDF5 ({err}); NYU's labelled .mat must be the "
                "MATLAB v7.3 (HDF5) file"
            ) from err

    @staticmethod
    def _scene_names(f: Any, count: int) -> list[str]:
        """Scene name per frame from the ``scenes`` references, else ``frame-<i>``."""
        if "scenes" not in f:
            return [f"frame-{i:04d}" for i in range(count)]
        refs = np.asarray(f["scenes"]).ravel()
        if refs.size != count:
            return [f"frame-{i:04d}" for i in range(count)]
        names = []
        for ref in refs:
            codes = np.asarray(f[ref]).ravel()
            names.append("".join(chr(int(c)) for c in codes))
        return names

    def __len__(self) -> int:
        return len(self._indices)

    @property
    def groups(self) -> list[str]:
        """Scene (split group) of each frame, in order."""
        return [self._groups[i] for i in self._indices]

    def _frame(self, index: int) -> RGBDSample:
        """Frame ``index``: RGB ``(H, W, 3)`` uint8, depth ``(H, W)`` float32 metres."""
        frame = self._indices[index]
        with self._open() as f:
            rgb = np.ascontiguousarray(np.asarray(f["images"][frame]).transpose(2, 1, 0))
            depth = np.ascontiguousarray(np.asarray(f[self.depth_key][frame], np.float32).T)
        if rgb.dtype != np.uint8:
            raise DataError(f"{self.path}: 'images' must be uint8, got {rgb.dtype}")
        depth[~np.isfinite(depth)] = np.nan
        if not np.any(np.isfinite(depth) & (depth > 0)):
            raise DataError(f"{self.path}: frame {frame} depth has no valid pixel")
        return RGBDSample(
            name=f"{frame:04d}",
            rgb=rgb,
            depth_hr=depth,
            depth_lr=None,
            group=self._groups[frame],
            metric=True,
        )
