# SPDX-License-Identifier: Apache-2.0
"""Run logs: one CSV file (always) and a TensorBoard event file (optional).

The CSV has a fixed header (:data:`CSV_FIELDS`); training rows leave validation columns empty and
validation rows leave loss columns empty. Row kinds: ``train``, ``val`` (the weights that are
saved: the weight average under ``train.ema_decay``) and ``val_raw`` (under ``ema_decay`` only:
the trained weights themselves). On resume the file is appended to.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from bridgenet_ros.errors import ConfigError

__all__ = ["CSV_FIELDS", "RunLogger", "read_csv_log"]

CSV_FIELDS: tuple[str, ...] = (
    "step",
    "kind",
    "loss",
    "loss_sr",
    "loss_mde",
    "lr",
    "grad_norm",
    "steps_per_s",
    "val_rmse_m",
    "val_mae_m",
    "elapsed_s",
)


class RunLogger:
    """Append rows to ``<out>/log.csv`` and, if asked, scalars to ``<out>/tensorboard``.

    Args:
        out_dir: run folder.
        tensorboard: also write TensorBoard scalars.

    Raises:
        ConfigError: if TensorBoard is requested but the ``tensorboard`` package is missing.
    """

    def __init__(self, out_dir: Path, tensorboard: bool = False) -> None:
        self.path = Path(out_dir) / "log.csv"
        new = not self.path.exists()
        self._file = self.path.open("a", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=list(CSV_FIELDS))
        if new:
            self._writer.writeheader()
            self._file.flush()
        self._tb: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as err:
                raise ConfigError(
                    "tensorboard: true needs the tensorboard package (pip install tensorboard)"
                    " or set tensorboard: false"
                ) from err
            self._tb = SummaryWriter(log_dir=str(Path(out_dir) / "tensorboard"))

    def log(self, step: int, kind: str, **values: float) -> None:
        """Write one row (``kind``: ``train``, ``val`` or ``val_raw``) and TensorBoard scalars."""
        unknown = set(values) - set(CSV_FIELDS)
        if unknown:
            raise KeyError(f"unknown log fields {sorted(unknown)}")
        row: dict[str, Any] = {"step": step, "kind": kind}
        row.update({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in values.items()})
        self._writer.writerow(row)
        self._file.flush()
        if self._tb is not None:
            for key, value in values.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    self._tb.add_scalar(f"{kind}/{key}", value, step)

    def close(self) -> None:
        """Flush and close the files."""
        self._file.close()
        if self._tb is not None:
            self._tb.close()


def read_csv_log(path: Path) -> list[dict[str, str]]:
    """Read a run's ``log.csv`` back as a list of rows (strings; empty = not logged)."""
    with Path(path).open(newline="") as f:
        return list(csv.DictReader(f))
