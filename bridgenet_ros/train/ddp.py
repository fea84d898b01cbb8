# SPDX-License-Identifier: Apache-2.0
r"""DistributedDataParallel helpers: one process per device under ``torchrun``.

Usage (one machine, 4 GPUs)::

    torchrun --standalone --nproc_per_node 4 -m bridgenet_ros.cli.main train \\
        --config config/train_paper.yaml --out runs/paper

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
:func:`init_distributed` reads them and starts a process group (``nccl`` on CUDA, ``gloo`` on
CPU). Without those variables training runs in one process without a process group. Each rank
seeds with ``seed + rank`` and draws its own random crops; ``batch_size`` is per rank. Only
rank 0 validates, logs and writes checkpoints; the others wait at a barrier.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from bridgenet_ros.errors import ConfigError

__all__ = ["DistInfo", "barrier", "cleanup_distributed", "init_distributed", "resolve_device"]


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in a (possibly trivial) distributed run."""

    rank: int
    world_size: int
    local_rank: int
    enabled: bool

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that logs, validates and checkpoints)."""
        return self.rank == 0


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a device (``auto``: CUDA when present).

    Raises:
        ConfigError: if CUDA is asked for but unavailable.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} requested but CUDA is not available; use cpu")
        if name == "cuda":
            return torch.device("cuda", local_rank)
    return torch.device(name)


def init_distributed(device: torch.device) -> DistInfo:
    """Start the process group when launched by ``torchrun`` (``WORLD_SIZE`` set).

    Also accepts an already initialized default group (e.g. started by a test), which it uses.

    Args:
        device: this process's device; chooses ``nccl`` (CUDA) or ``gloo`` (CPU).

    Returns:
        Rank, world size, local rank and whether DDP is active.
    """
    if dist.is_available() and dist.is_initialized():
        return DistInfo(
            dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), True
        )
    if "WORLD_SIZE" not in os.environ or not dist.is_available():
        return DistInfo(0, 1, 0, False)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return DistInfo(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), True
    )


def barrier(info: DistInfo) -> None:
    """Wait for all ranks (no-op without DDP)."""
    if info.enabled:
        dist.barrier()


def cleanup_distributed(info: DistInfo, *, owned: bool) -> None:
    """Destroy the process group if this module created it (``owned``)."""
    if info.enabled and owned and dist.is_initialized():
        dist.destroy_process_group()
