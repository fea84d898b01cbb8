# SPDX-License-Identifier: Apache-2.0
"""One-file checkpoints that load with ``torch.load(..., weights_only=True)``.

The file holds a dict of plain types and tensors only::

    {"format": "bridgenet_ros.checkpoint/1", "variant": str, "config": {...},
     "state_dict": {name: Tensor}, "metadata": {...}}
"""

from __future__ import annotations

import math
import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from bridgenet_ros.config_io import from_mapping, to_mapping
from bridgenet_ros.errors import CheckpointError, ConfigError
from bridgenet_ros.model.bridgenet import BridgeNet
from bridgenet_ros.model.config import BridgeNetConfig

__all__ = [
    "CHECKPOINT_FORMAT",
    "load_checkpoint",
    "load_matching_weights",
    "load_model",
    "save_checkpoint",
]

#: Value of the ``format`` key; bump the number on incompatible changes.
CHECKPOINT_FORMAT = "bridgenet_ros.checkpoint/1"
_KEYS = ("format", "variant", "config", "state_dict", "metadata")


def _check_plain(value: Any, where: str) -> None:
    """Raise CheckpointError unless ``value`` is made of plain types and tensors only."""
    if value is None or isinstance(value, (bool, int, str, torch.Tensor)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            return  # NaN/inf are legitimate metric values and load fine
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CheckpointError(
                    f"checkpoint metadata key {key!r} at {where} is a {type(key).__name__}; "
                    "use string keys"
                )
            _check_plain(item, f"{where}.{key}")
        return
    raise CheckpointError(
        f"checkpoint metadata value at {where} is a {type(value).__name__}; only None, bool, "
        "int, float, str, lists, dicts with str keys and tensors load with weights_only=True "
        "(convert it, e.g. str(path) or to_mapping(config))"
    )


def save_checkpoint(
    path: str | Path, model: BridgeNet, metadata: Mapping[str, Any] | None = None
) -> Path:
    """Write ``model`` (config + weights) and ``metadata`` to ``path`` atomically.

    Args:
        path: destination file (parent folders are created).
        model: the network to save.
        metadata: plain data about the run (data, scales, metrics, git revision, ...).

    Returns:
        The path written.

    Raises:
        CheckpointError: if ``metadata`` holds a value that ``weights_only`` loading rejects.
    """
    path = Path(path)
    meta = dict(metadata or {})
    _check_plain(meta, "metadata")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "variant": model.config.variant,
        "config": to_mapping(model.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metadata": meta,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``).

    Args:
        path: the checkpoint file.
        map_location: device for the tensors.

    Returns:
        Dict with keys ``format``, ``variant``, ``config`` (a mapping), ``state_dict``,
        ``metadata``.

    Raises:
        CheckpointError: if the file is missing, unreadable, corrupt or of another format.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} does not exist; train one with `bridgenet train` or pass the "
            "path of an existing .pt file"
        )
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except (
        RuntimeError,
        pickle.UnpicklingError,
        EOFError,
        zipfile.BadZipFile,
        OSError,
        ValueError,
    ) as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a torch file ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''}); re-export or re-download it"
        ) from err
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(
            f"checkpoint {path} has format {found!r}, expected {CHECKPOINT_FORMAT!r}; it was "
            "not written by bridgenet_ros.model.save_checkpoint"
        )
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks the key(s) {missing}; it is incomplete")
    return data


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> BridgeNet:
    """Rebuild the network stored in ``path``, in eval mode, with ``model.metadata`` set.

    Raises:
        CheckpointError: if the file cannot be read, its config is invalid, or the weights do
            not fit the config.
    """
    data = load_checkpoint(path, map_location)
    try:
        config = from_mapping(BridgeNetConfig, data["config"], where=f"checkpoint {path} config")
    except ConfigError as err:
        raise CheckpointError(f"checkpoint {path} holds an invalid model config: {err}") from err
    model = BridgeNet.from_config(config)
    try:
        model.load_state_dict(data["state_dict"], strict=True)
    except RuntimeError as err:
        raise CheckpointError(
            f"checkpoint {path}: weights do not fit its {config.variant!r} config ({err})"
        ) from err
    model.to(map_location)
    model.metadata = dict(data["metadata"])
    model.eval()
    return model


def load_matching_weights(model: BridgeNet, path: str | Path) -> list[str]:
    """Copy a checkpoint's weights into a model that extends its architecture.

    Every tensor of the checkpoint must exist in ``model`` with the same shape; the model's
    extra tensors (e.g. a residual gate added to a trained network) keep their initial
    values. This is how a trained model is fine-tuned with a new module.

    Args:
        model: the (larger) network to initialize.
        path: a checkpoint written by :func:`save_checkpoint`.

    Returns:
        The names of the model's tensors the checkpoint did not provide (sorted).

    Raises:
        CheckpointError: if a checkpoint tensor is missing in ``model`` or has another shape.
    """
    state = load_checkpoint(path)["state_dict"]
    own = model.state_dict()
    misfit = [
        f"{name} {tuple(tensor.shape)}"
        + (f" vs {tuple(own[name].shape)}" if name in own else " (absent in the model)")
        for name, tensor in state.items()
        if name not in own or own[name].shape != tensor.shape
    ]
    if misfit:
        raise CheckpointError(
            f"checkpoint {path} does not fit inside the {model.config.variant!r} model: "
            f"{', '.join(misfit[:5])}{' ...' if len(misfit) > 5 else ''}; the model must keep "
            "every layer of the checkpoint with the same shape"
        )
    model.load_state_dict(state, strict=False)
    return sorted(set(own) - set(state))
