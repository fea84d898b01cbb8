# SPDX-License-Identifier: Apache-2.0
"""Pre-built training samples on disk, so a training step waits for compute, not for data.

``bridgenet data build-shards`` draws the samples a training dataset would draw (same config,
same seed: epoch ``e``, index ``i`` is sample ``j = e * samples_per_epoch + i``) and writes them
into shard files; a ``{kind: shards, path: DIR}`` source reads them back with memory maps.

Layout of ``DIR``::

    index.json                      format, sample count, crop, shard list, the DataConfig
    shard_00000.rgb.npy             (n, 3, h, w) uint8 (the sample's RGB x 255, exactly)
    shard_00000.depth_lr_up_norm.npy (n, 1, h, w) float32
    shard_00000.depth_hr_norm.npy   (n, 1, h, w) float32
    shard_00000.mask_valid.npy      (n, 1, h, w) uint8
    shard_00000.depth_range.npy     (n, 2) float32
    shard_00000.scale.npy           (n,) float32
    shard_00000.depth_lr.npy        (sum of h' * w',) float32, the LR maps one after another
    shard_00000.depth_lr_shape.npy  (n, 2) int64, their shapes
    shard_00001...

The stored arrays rebuild the dataset's sample dict bit for bit (``rgb`` as ``uint8 / 255``,
which is how it was made). 12 bytes per crop pixel: 192x192 -> 442 kB per sample.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bridgenet_ros.errors import DataError

__all__ = ["SHARD_FORMAT", "ShardSet", "ShardWriter", "build_shards", "write_training_shards"]

#: version of the on-disk layout
SHARD_FORMAT = 1

_DENSE = {
    "rgb": np.uint8,
    "depth_lr_up_norm": np.float32,
    "depth_hr_norm": np.float32,
    "mask_valid": np.uint8,
    "depth_range": np.float32,
    "scale": np.float32,
}


def _to_stored(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sample dict -> compact arrays (checked to round-trip exactly)."""
    rgb = np.rint(sample["rgb"] * np.float32(255.0)).astype(np.uint8)
    if not np.array_equal(rgb.astype(np.float32) / np.float32(255.0), sample["rgb"]):
        raise DataError("shard writer: the sample's rgb is not an 8-bit image / 255")
    mask = sample["mask_valid"].astype(np.uint8)
    return {
        "rgb": rgb,
        "depth_lr_up_norm": sample["depth_lr_up_norm"],
        "depth_hr_norm": sample["depth_hr_norm"],
        "mask_valid": mask,
        "depth_range": sample["depth_range"],
        "scale": sample["scale"],
    }


class ShardWriter:
    """Write samples into shards of ``shard_size`` samples and an ``index.json``.

    Args:
        out_dir: the shard directory (created; must not hold an ``index.json`` yet).
        crop_hw: crop size of every sample.
        shard_size: samples per shard file set.
        meta: extra entries of ``index.json`` (e.g. the DataConfig, the seed).

    Raises:
        DataError: if ``out_dir`` already holds shards.
    """

    def __init__(
        self,
        out_dir: str | Path,
        crop_hw: tuple[int, int],
        shard_size: int = 1024,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        if (self.out_dir / "index.json").exists():
            raise DataError(f"{self.out_dir}: already holds shards; choose an empty --out")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.crop_hw = (int(crop_hw[0]), int(crop_hw[1]))
        self.shard_size = int(shard_size)
        self.meta = dict(meta or {})
        self._pending: list[dict[str, np.ndarray]] = []
        self._shards: list[dict[str, Any]] = []
        self.count = 0

    def add(self, sample: dict[str, np.ndarray]) -> None:
        """Queue one sample (the numpy dict of ``DepthSRDataset.sample_arrays``)."""
        h, w = sample["rgb"].shape[1:]
        if (h, w) != self.crop_hw:
            raise DataError(f"shard writer: sample crop {(h, w)} != {self.crop_hw}")
        self._pending.append(sample)
        self.count += 1
        if len(self._pending) >= self.shard_size:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        name = f"shard_{len(self._shards):05d}"
        stored = [_to_stored(s) for s in self._pending]
        for key in _DENSE:
            np.save(self.out_dir / f"{name}.{key}.npy", np.stack([s[key] for s in stored]))
        lrs = [np.asarray(s["depth_lr"], np.float32) for s in self._pending]
        np.save(self.out_dir / f"{name}.depth_lr.npy", np.concatenate([lr.ravel() for lr in lrs]))
        shapes = np.array([lr.shape for lr in lrs], dtype=np.int64)
        np.save(self.out_dir / f"{name}.depth_lr_shape.npy", shapes)
        self._shards.append({"name": name, "samples": len(self._pending)})
        self._pending = []

    def close(self) -> Path:
        """Write the last shard and ``index.json``; returns the index path."""
        self._flush()
        index = {
            "format": SHARD_FORMAT,
            "samples": self.count,
            "crop_hw": list(self.crop_hw),
            "shards": self._shards,
            **self.meta,
        }
        path = self.out_dir / "index.json"
        path.write_text(json.dumps(index, indent=1))
        return path


class ShardSet:
    """Read-only view of a shard directory: ``len`` samples, ``sample(j)`` -> the sample dict.

    Files are memory-mapped on first use in each process (DataLoader workers included), so
    opening is cheap and a sample costs a few page reads.

    Raises:
        DataError: missing or unreadable ``index.json``, wrong format, or no sample.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        index_path = self.path / "index.json"
        try:
            index = json.loads(index_path.read_text())
        except (OSError, ValueError) as err:
            raise DataError(
                f"{index_path}: cannot read the shard index ({err}); build shards with "
                "'bridgenet data build-shards --config ... --out DIR'"
            ) from err
        if index.get("format") != SHARD_FORMAT:
            raise DataError(
                f"{index_path}: shard format {index.get('format')!r}, this version reads "
                f"{SHARD_FORMAT}; rebuild the shards"
            )
        self.index = index
        self.crop_hw = (int(index["crop_hw"][0]), int(index["crop_hw"][1]))
        self._names = [str(s["name"]) for s in index["shards"]]
        counts = np.array([int(s["samples"]) for s in index["shards"]], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(counts)])
        if self._starts[-1] < 1:
            raise DataError(f"{self.path}: the shard index lists no sample")
        self._maps: dict[tuple[int, str], np.ndarray] = {}
        self._lr_offsets: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _array(self, shard: int, key: str) -> np.ndarray:
        cached = self._maps.get((shard, key))
        if cached is None:
            file = self.path / f"{self._names[shard]}.{key}.npy"
            try:
                cached = np.load(file, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as err:
                raise DataError(f"{file}: cannot read shard file ({err})") from err
            self._maps[(shard, key)] = cached
        return cached

    def sample(self, j: int) -> dict[str, np.ndarray]:
        """Sample ``j`` as the dataset's numpy dict (``depth_lr`` included).

        Raises:
            IndexError: ``j`` out of range.
        """
        if not 0 <= j < len(self):
            raise IndexError(f"shard sample {j} out of range 0..{len(self) - 1}")
        shard = int(np.searchsorted(self._starts, j, side="right") - 1)
        k = j - int(self._starts[shard])

        def get(key: str) -> np.ndarray:
            return np.array(self._array(shard, key)[k])

        out = {
            "rgb": get("rgb").astype(np.float32) / np.float32(255.0),
            "depth_lr_up_norm": get("depth_lr_up_norm"),
            "depth_hr_norm": get("depth_hr_norm"),
            "mask_valid": get("mask_valid").astype(np.float32),
            "depth_range": get("depth_range"),
            "scale": get("scale"),
        }
        shapes = self._array(shard, "depth_lr_shape")
        offsets = self._lr_offsets.get(shard)
        if offsets is None:
            offsets = np.concatenate([[0], np.cumsum(np.prod(shapes, axis=1))])
            self._lr_offsets[shard] = offsets
        flat = self._array(shard, "depth_lr")[int(offsets[k]) : int(offsets[k + 1])]
        out["depth_lr"] = np.array(flat).reshape(tuple(int(v) for v in shapes[k]))
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_maps"] = {}  # memory maps are reopened in each worker
        return state

    def __repr__(self) -> str:
        return f"ShardSet({str(self.path)!r}, samples={len(self)}, crop_hw={self.crop_hw})"


def build_shards(
    make: Callable[[int], dict[str, np.ndarray]],
    count: int,
    writer: ShardWriter,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Write samples ``make(0) .. make(count - 1)``; returns the seconds it took."""
    start = time.perf_counter()
    for j in range(count):
        writer.add(make(j))
        if progress is not None:
            progress(j + 1)
    writer.close()
    return time.perf_counter() - start


_WORKER_DATASET: Any = None


def _init_worker(config: Any) -> None:
    global _WORKER_DATASET
    from bridgenet_ros.data.datasets import build_dataset

    _WORKER_DATASET = build_dataset(config, "train")


def _worker_sample(j: int) -> dict[str, np.ndarray]:
    dataset = _WORKER_DATASET
    spe = dataset.config.samples_per_epoch
    dataset.set_epoch(j // spe)
    return dict(dataset.sample_arrays(j % spe))


def write_training_shards(
    config: Any,
    out_dir: str | Path,
    samples: int,
    *,
    shard_size: int = 1024,
    workers: int = 1,
    meta: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Path, float]:
    """Write the first ``samples`` training samples of a ``DataConfig`` into shards.

    Sample ``j`` is the dataset's sample ``j % samples_per_epoch`` of epoch
    ``j // samples_per_epoch`` (the trainer's order), so a ``shards`` source built from these
    gives the same samples as the on-the-fly mix for the same seed. Guidance dropout
    (``rgb_dropout_prob``) is not baked in: the dataset applies it when it reads the shards.

    Args:
        config: the :class:`~.config.DataConfig` (its training split).
        out_dir: shard directory (new or empty).
        samples: number of samples (>= 1).
        shard_size: samples per shard.
        workers: processes drawing samples (1 = this process); the order is kept.
        meta: extra ``index.json`` entries.
        progress: called with the number of samples written so far.

    Returns:
        ``(index.json path, seconds)``.

    Raises:
        DataError: ``samples < 1``, ``out_dir`` already holds shards, or a source problem.
    """
    from dataclasses import replace

    from bridgenet_ros.config_io import to_mapping

    config = replace(config, rgb_dropout_prob=0.0)
    if samples < 1 or workers < 1 or shard_size < 1:
        raise DataError(
            f"shards: samples, workers and shard_size must be >= 1, got {samples}, {workers}, "
            f"{shard_size}"
        )
    info = {
        "data_config": to_mapping(config),
        "samples_per_epoch": config.samples_per_epoch,
        "seed": config.seed,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(meta or {}),
    }
    writer = ShardWriter(out_dir, config.crop_hw, shard_size, info)
    if workers == 1:
        _init_worker(config)
        seconds = build_shards(_worker_sample, samples, writer, progress)
        return writer.out_dir / "index.json", seconds
    import multiprocessing

    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (config,)) as pool:
        for j, sample in enumerate(pool.imap(_worker_sample, range(samples), chunksize=8)):
            writer.add(sample)
            if progress is not None:
                progress(j + 1)
    writer.close()
    return writer.out_dir / "index.json", time.perf_counter() - start
