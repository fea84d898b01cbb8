# SPDX-License-Identifier: Apache-2.0
"""``create_backend(name, model_path, **options)``: the one way to build an inference backend.

Names: ``torch`` (``.pt`` checkpoints), ``onnxruntime`` (``.onnx``), ``tensorrt`` (``.onnx``,
built and cached on first use, or a cached ``.engine`` with its sidecar JSON) and ``auto``.
``auto`` is the only name that chooses: it tries ``tensorrt`` > ``onnxruntime`` with the CUDA
execution provider > ``onnxruntime`` on the CPU > ``torch``, using the given file or its sibling
with the same stem (``model.pt`` / ``model.onnx``), and logs the choice and why. Asking
explicitly for a backend that is not installed raises :class:`BackendError` naming the package.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Callable

from bridgenet_ros.errors import BackendError, ConfigError
from bridgenet_ros.runtime.backends.base import Backend

__all__ = ["BACKEND_NAMES", "AutoChoice", "choose_auto", "create_backend"]

LOGGER = logging.getLogger(__name__)

BACKEND_NAMES = ("auto", "tensorrt", "onnxruntime", "torch")
_SUFFIXES = {
    "torch": (".pt", ".pth"),
    "onnxruntime": (".onnx",),
    "tensorrt": (".onnx", ".engine"),
}


def _options_of(name: str) -> frozenset[str]:
    if name == "torch":
        from bridgenet_ros.runtime.backends.torch_backend import TorchBackend

        return TorchBackend.OPTIONS
    if name == "onnxruntime":
        from bridgenet_ros.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend.OPTIONS
    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    return TensorRTBackend.OPTIONS


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


class AutoChoice:
    """The backend ``auto`` picked: ``name``, ``model_path``, extra options and the reason."""

    def __init__(self, name: str, model_path: Path, options: dict[str, Any], reason: str) -> None:
        self.name = name
        self.model_path = model_path
        self.options = options
        self.reason = reason


def _sibling(path: Path, suffixes: tuple[str, ...]) -> Path | None:
    if path.suffix in suffixes:
        return path
    for suffix in suffixes:
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def choose_auto(
    model_path: Path,
    *,
    importable: Callable[[str], bool] = _importable,
    ort_providers: Callable[[], list[str]] | None = None,
) -> AutoChoice:
    """Decide what ``auto`` runs for ``model_path`` (pure decision, nothing is loaded).

    Args:
        model_path: ``.pt``, ``.onnx`` or ``.engine``.
        importable: module-availability probe (injectable for tests).
        ort_providers: returns onnxruntime's available providers (injectable for tests).

    Raises:
        BackendError: if no backend can run the model, saying what to install.
    """
    if ort_providers is None:
        from bridgenet_ros.runtime.backends.onnxruntime_backend import ort_available_providers

        ort_providers = ort_available_providers
    tried: list[str] = []
    engine_or_onnx = _sibling(model_path, (".engine",)) or _sibling(model_path, (".onnx",))
    has_cuda_lib = importable("pycuda.driver") or importable("cuda.bindings.runtime")
    if engine_or_onnx is not None and importable("tensorrt") and has_cuda_lib:
        return AutoChoice(
            "tensorrt", engine_or_onnx, {}, "tensorrt and a CUDA binding are importable"
        )
    tried.append("tensorrt: not importable (or neither pycuda nor cuda-python)")
    onnx_path = _sibling(model_path, (".onnx",))
    if onnx_path is not None:
        providers = ort_providers()
        if "CUDAExecutionProvider" in providers:
            return AutoChoice(
                "onnxruntime",
                onnx_path,
                {"device": "cuda"},
                f"{'; '.join(tried)}; onnxruntime offers CUDAExecutionProvider",
            )
        tried.append("onnxruntime-CUDA: CUDAExecutionProvider not available")
        if "CPUExecutionProvider" in providers:
            return AutoChoice(
                "onnxruntime",
                onnx_path,
                {"device": "cpu"},
                f"{'; '.join(tried)}; using onnxruntime on the CPU",
            )
        tried.append("onnxruntime: not installed")
    else:
        tried.append(f"onnxruntime: no .onnx file for {model_path}")
    pt_path = _sibling(model_path, _SUFFIXES["torch"])
    if pt_path is not None and importable("torch"):
        return AutoChoice("torch", pt_path, {}, f"{'; '.join(tried)}; using torch eager")
    tried.append("torch: not installed" if pt_path else f"torch: no .pt file for {model_path}")
    raise BackendError(
        f"backend 'auto' found nothing to run {model_path}: {'; '.join(tried)}. Install "
        "onnxruntime (for .onnx), torch (for .pt) or TensorRT + pycuda (for GPUs)"
    )


def create_backend(name: str, model_path: str | Path, **options: Any) -> Backend:
    """Build an inference backend.

    Args:
        name: ``auto``, ``tensorrt``, ``onnxruntime`` or ``torch``.
        model_path: ``.pt`` (torch), ``.onnx`` (onnxruntime, tensorrt) or ``.engine``
            (tensorrt).
        **options: backend options (e.g. ``device``, ``intra_op_threads``,
            ``graph_optimization_level`` for onnxruntime; ``fp16``, ``cache_dir``,
            ``allow_build``, ``workspace_mb``, ``cuda_api`` for tensorrt). With ``auto``,
            options the chosen backend does not take are dropped and the drop is logged.

    Returns:
        A :class:`Backend`.

    Raises:
        ConfigError: on an unknown name, an option no backend takes, or a file type the
            backend cannot run.
        BackendError: if the backend is not installed or fails to load the model.
    """
    if name not in BACKEND_NAMES:
        raise ConfigError(f"unknown backend {name!r}; use one of {BACKEND_NAMES}")
    path = Path(model_path)
    if name == "auto":
        choice = choose_auto(path)
        allowed = _options_of(choice.name)
        known = set().union(*(_options_of(n) for n in ("torch", "onnxruntime", "tensorrt")))
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"backend options {unknown} are not known to any backend")
        dropped = sorted(set(options) - allowed)
        kept = {k: v for k, v in options.items() if k in allowed}
        merged = {**choice.options, **kept}
        LOGGER.info(
            "backend auto -> %s (%s) for %s%s",
            choice.name,
            choice.reason,
            choice.model_path,
            f"; options {dropped} do not apply to it" if dropped else "",
        )
        return create_backend(choice.name, choice.model_path, **merged)
    if path.suffix not in _SUFFIXES[name]:
        raise ConfigError(
            f"backend {name!r} cannot run {path.name}: it takes {_SUFFIXES[name]} files "
            "(export with `bridgenet export`, or use backend 'auto')"
        )
    unknown = sorted(set(options) - _options_of(name))
    if unknown:
        raise ConfigError(
            f"backend {name!r} does not take option(s) {unknown}; it takes "
            f"{sorted(_options_of(name))}"
        )
    if name == "torch":
        from bridgenet_ros.runtime.backends.torch_backend import TorchBackend

        return TorchBackend(path, **options)
    if name == "onnxruntime":
        from bridgenet_ros.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend(path, **options)
    from bridgenet_ros.runtime.backends.tensorrt_backend import TensorRTBackend

    return TensorRTBackend(path, **options)
