# SPDX-License-Identifier: Apache-2.0
"""PyTorch eager backend (CPU or CUDA); torch is imported only when this backend is built."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from bridgenet_ros.errors import BackendError
from bridgenet_ros.runtime.backends.base import check_infer_inputs

__all__ = ["TorchBackend"]

LOGGER = logging.getLogger(__name__)


class TorchBackend:
    """Run a BridgeNet checkpoint (``.pt``) with PyTorch.

    Args:
        model_path: checkpoint written by ``bridgenet_ros.model.save_checkpoint``.
        device: ``cpu`` or ``cuda`` (``cuda:N``).
        model: an already built model (tests, benchmarks); ``model_path`` is then only a label.

    Raises:
        BackendError: if torch is missing, CUDA is requested but unavailable, or the
            checkpoint cannot be loaded.
    """

    OPTIONS = frozenset({"device", "model"})

    def __init__(self, model_path: str | Path, *, device: str = "cpu", model: Any = None) -> None:
        try:
            import torch
        except ImportError as err:
            raise BackendError(
                "backend 'torch' needs PyTorch: pip install torch (CPU or CUDA build)"
            ) from err
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise BackendError(
                f"torch backend: device {device!r} requested but torch.cuda.is_available() is "
                "False (CPU-only torch build or no GPU); use device='cpu'"
            )
        self._torch = torch
        self.name = "torch"
        self.device = torch.device(device)
        if model is None:
            from bridgenet_ros.model import load_model

            try:
                model = load_model(Path(model_path), map_location="cpu")
            except BackendError:
                raise
            except Exception as err:
                raise BackendError(f"torch backend: cannot load {model_path}: {err}") from err
        self.model = model.to(self.device).eval()
        self.stride = int(model.stride)
        self.has_mde = bool(model.has_mde)
        self.input_hw: tuple[int, int] | None = None
        LOGGER.info("torch backend: %s on %s", model_path, self.device)

    def infer(
        self, rgb: np.ndarray, depth_lr_up_norm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the network (see :meth:`Backend.infer`)."""
        check_infer_inputs(rgb, depth_lr_up_norm, self.stride, self.input_hw)
        torch = self._torch
        with torch.inference_mode():
            outputs = self.model(
                torch.from_numpy(rgb).to(self.device),
                torch.from_numpy(depth_lr_up_norm).to(self.device),
            )
        sr = outputs[0].float().cpu().numpy()
        mde = outputs[1].float().cpu().numpy() if self.has_mde and len(outputs) > 1 else None
        return sr, mde

    def close(self) -> None:
        """Drop the model (frees CUDA memory when the last reference goes)."""
        self.model = None
