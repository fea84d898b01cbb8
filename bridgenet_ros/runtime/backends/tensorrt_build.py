# SPDX-License-Identifier: Apache-2.0
"""Build TensorRT engines from the exported ONNX (TensorRT 8.5/8.6, 10.x and 11.x).

Version differences handled here (TensorRT Python API):

* explicit batch: ``NetworkDefinitionCreationFlag.EXPLICIT_BATCH`` is required before 10 and
  deprecated/ignored from 10 (removed in 11), so it is set only when the major version is < 10;
* precision: ``BuilderFlag.FP16`` where it exists (8.x, 10.x); TensorRT 11 builds strongly typed
  networks only, so FP16 must already be in the ONNX (``bridgenet export --fp16``);
* workspace: ``set_memory_pool_limit(MemoryPoolType.WORKSPACE, bytes)`` (8.4+);
* ``build_serialized_network`` (``build_engine`` is gone in 10);
* one optimization profile with min = opt = max = the configured ``(1, C, H, W)``; a deployment
  graph (``export --pipeline``) gets :func:`graph_profile` (fixed RGB, any LR size) and, where
  ``STRONGLY_TYPED`` exists (10+), a strongly typed network so its FP32 pre/post-processing and
  the exported network precision are kept;
* a timing cache file loaded before and saved after the build.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from bridgenet_ros.errors import BackendError, ExportError
from bridgenet_ros.runtime.backends.base import ModelMeta, is_pipeline_graph
from bridgenet_ros.runtime.backends.engine_cache import (
    EngineKey,
    file_sha256,
    read_sidecar,
    write_sidecar,
)

__all__ = [
    "build_engine",
    "ensure_engine",
    "graph_profile",
    "import_tensorrt",
    "onnx_metadata",
    "trt_major",
]

LOGGER = logging.getLogger(__name__)

#: oldest TensorRT with the named I/O tensor API used by the runtime.
MIN_TRT = (8, 5)


def import_tensorrt() -> Any:
    """Import ``tensorrt`` and check the version.

    Raises:
        BackendError: if it is missing or older than 8.5.
    """
    try:
        import tensorrt as trt
    except ImportError as err:
        raise BackendError(
            "backend 'tensorrt' needs the TensorRT Python package: on Jetson it comes with "
            "JetPack (python3-libnvinfer), on x86 pip install tensorrt; plus pycuda or "
            "cuda-python"
        ) from err
    parts = tuple(int(p) for p in str(trt.__version__).split(".")[:2])
    if parts < MIN_TRT:
        raise BackendError(
            f"TensorRT {trt.__version__} is too old: the runtime needs {MIN_TRT[0]}.{MIN_TRT[1]}+ "
            "(named I/O tensor API); upgrade JetPack/TensorRT or use backend onnxruntime"
        )
    return trt


def trt_major(trt: Any) -> int:
    """Major version of the imported TensorRT."""
    return int(str(trt.__version__).split(".")[0])


def onnx_metadata(onnx_path: Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, read with the protobuf-only ``onnx`` package.

    Raises:
        BackendError: if onnx is missing or the file cannot be read.
    """
    try:
        import onnx
    except ImportError as err:
        raise BackendError(
            "reading ONNX metadata needs the onnx package: pip install onnx"
        ) from err
    try:
        proto = onnx.load(str(onnx_path), load_external_data=False)
    except Exception as err:
        raise BackendError(f"cannot read ONNX file {onnx_path}: {err}") from err
    return {p.key: p.value for p in proto.metadata_props}


def graph_profile(
    name: str, rgb_hw: tuple[int, int]
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """``(min, opt, max)`` shapes of a deployment-graph input for an RGB size.

    ``rgb`` is fixed at ``(H, W, 3)``; ``depth_lr`` may be anything from ``1x1`` to ``HxW``
    (optimized for x8: ``ceil(H / 8) x ceil(W / 8)``), so one engine serves every LR size.

    Raises:
        BackendError: for an input the deployment graph does not have.
    """
    height, width = int(rgb_hw[0]), int(rgb_hw[1])
    if name == "rgb":
        shape = (height, width, 3)
        return shape, shape, shape
    if name == "depth_lr":
        return (1, 1), (-(-height // 8), -(-width // 8)), (height, width)
    raise BackendError(f"deployment graph has an unexpected input {name!r}")


def _set_precision(
    trt: Any, config: Any, *, fp16: bool, typed: bool, graph: bool, meta: ModelMeta, path: Path
) -> None:
    """FP16 builder flag where it applies; strongly typed networks take the ONNX's precision.

    Raises:
        ExportError: if FP16 is asked of a strongly typed build from an FP32 ONNX.
    """
    if fp16 and typed and meta.precision != "fp16":
        raise ExportError(
            f"{path} is an {meta.precision} deployment graph, built strongly typed on "
            f"TensorRT {trt.__version__}: export it with `bridgenet export --pipeline --fp16` "
            "for an FP16 network inside the FP32 pipeline"
        )
    if fp16 and not typed:
        if graph:
            LOGGER.warning(
                "TensorRT %s: FP16 builder flag on a deployment graph lets TensorRT pick FP16 "
                "for the pre/post-processing too (unverified accuracy); TensorRT 10+ builds it "
                "strongly typed from a `--pipeline --fp16` export instead",
                trt.__version__,
            )
        if hasattr(trt.BuilderFlag, "FP16"):
            config.set_flag(trt.BuilderFlag.FP16)
        elif meta.precision != "fp16":
            raise ExportError(
                f"TensorRT {trt.__version__} builds strongly typed networks (no FP16 builder "
                f"flag) and {path} is {meta.precision}: export an FP16 ONNX with "
                "`bridgenet export --fp16` and build from it"
            )


def build_engine(
    onnx_path: Path,
    *,
    input_hw: tuple[int, int],
    fp16: bool,
    workspace_mb: int,
    timing_cache: Path | None,
    meta: ModelMeta,
    meta_props: dict[str, str] | None = None,
) -> bytes:
    """Build a serialized engine.

    Args:
        onnx_path: ONNX written by ``bridgenet export``.
        input_hw: the ``(H, W)`` of the optimization profile (fixed engine size).
        fp16: enable FP16 (builder flag where it exists; else the ONNX must be FP16).
        workspace_mb: workspace memory-pool limit in MiB.
        timing_cache: timing cache file (read if present, written after the build).
        meta: the ONNX's model metadata.
        meta_props: the raw ONNX metadata (a deployment graph gets :func:`graph_profile`).

    Returns:
        The serialized engine bytes.

    Raises:
        ExportError: on parser errors, unsupported precision requests or a failed build.
    """
    trt = import_tensorrt()
    major = trt_major(trt)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    graph = is_pipeline_graph(meta_props) if meta_props else False
    typed = graph and hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED")
    flags = 0
    if major < 10:
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    if typed:  # deployment graph: FP32 pre/post-processing exactly as exported
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ExportError(f"TensorRT's ONNX parser rejected {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
    _set_precision(trt, config, fp16=fp16, typed=typed, graph=graph, meta=meta, path=onnx_path)
    profile = builder.create_optimization_profile()
    height, width = input_hw
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        if graph:
            profile.set_shape(tensor.name, *graph_profile(tensor.name, input_hw))
            continue
        channels = int(tensor.shape[1])
        shape = (1, channels, height, width)
        profile.set_shape(tensor.name, shape, shape, shape)
    config.add_optimization_profile(profile)
    cache_bytes = timing_cache.read_bytes() if timing_cache and timing_cache.is_file() else b""
    cache = config.create_timing_cache(cache_bytes)
    config.set_timing_cache(cache, False)
    LOGGER.info(
        "building TensorRT %s engine %dx%d (%s) from %s",
        trt.__version__,
        height,
        width,
        "fp16" if fp16 or meta.precision == "fp16" else "fp32",
        onnx_path,
    )
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ExportError(
            f"TensorRT failed to build an engine from {onnx_path} at {height}x{width} (see the "
            "TensorRT log above; try a larger --workspace-mb)"
        )
    if timing_cache is not None:
        timing_cache.parent.mkdir(parents=True, exist_ok=True)
        timing_cache.write_bytes(bytes(config.get_timing_cache().serialize()))
    return bytes(serialized)


def ensure_engine(
    onnx_path: Path,
    *,
    cache_dir: Path,
    gpu_name: str,
    input_hw: tuple[int, int] | None = None,
    fp16: bool = False,
    workspace_mb: int = 1024,
    force: bool = False,
    allow_build: bool = True,
) -> Path:
    """Return a valid cached engine for ``onnx_path``, building it when needed.

    Args:
        onnx_path: ONNX written by ``bridgenet export``.
        cache_dir: engine cache folder (also holds ``timing.cache``).
        gpu_name: CUDA device name.
        input_hw: engine size; required for a dynamic ONNX, must match a fixed one.
        fp16: FP16 engine.
        workspace_mb: workspace limit in MiB.
        force: rebuild even if a matching engine exists.
        allow_build: if False and no matching engine exists, raise instead of building.

    Raises:
        BackendError: on missing files/size, or no valid engine while building is disabled.
        ExportError: if the build fails.
    """
    trt = import_tensorrt()
    if not onnx_path.is_file():
        raise BackendError(f"ONNX file {onnx_path} does not exist")
    props = onnx_metadata(onnx_path)
    meta = ModelMeta.from_metadata_props(props, str(onnx_path))
    if meta.input_hw is not None:
        if input_hw is not None and tuple(input_hw) != meta.input_hw:
            raise BackendError(
                f"{onnx_path} was exported for {meta.input_hw[0]}x{meta.input_hw[1]} but "
                f"{input_hw[0]}x{input_hw[1]} was requested: re-export with --dynamic or that size"
            )
        input_hw = meta.input_hw
    if input_hw is None:
        raise BackendError(
            f"{onnx_path} has dynamic height/width: give the engine size (--height/--width, or "
            "the runtime's model_height/model_width)"
        )
    if not is_pipeline_graph(props) and (input_hw[0] % meta.stride or input_hw[1] % meta.stride):
        raise BackendError(
            f"engine size {input_hw[0]}x{input_hw[1]} is not a multiple of the stride "
            f"{meta.stride}"
        )
    precision = "fp16" if fp16 or meta.precision == "fp16" else "fp32"
    key = EngineKey(
        file_sha256(onnx_path),
        precision,
        int(input_hw[0]),
        int(input_hw[1]),
        str(trt.__version__),
        gpu_name,
    )
    engine_path = cache_dir / key.file_name(onnx_path.stem)
    if engine_path.is_file() and not force:
        try:
            cached_key, _, _ = read_sidecar(engine_path)
        except BackendError as err:
            LOGGER.warning("ignoring cached engine %s: %s", engine_path, err)
        else:
            if cached_key == key:
                LOGGER.info("using cached TensorRT engine %s", engine_path)
                return engine_path
            LOGGER.warning(
                "cached engine %s is stale: %s", engine_path, ", ".join(cached_key.mismatches(key))
            )
    if not allow_build:
        raise BackendError(
            f"no valid TensorRT engine for {onnx_path} ({precision}, {input_hw[0]}x{input_hw[1]},"
            f" TensorRT {trt.__version__}, {gpu_name}) in {cache_dir} and building is disabled: "
            "run `bridgenet build-engine` or allow building"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = build_engine(
        onnx_path,
        input_hw=(int(input_hw[0]), int(input_hw[1])),
        fp16=fp16,
        workspace_mb=workspace_mb,
        timing_cache=cache_dir / "timing.cache",
        meta=meta,
        meta_props=props,
    )
    tmp = engine_path.with_name(f"{engine_path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(engine_path)
    write_sidecar(engine_path, key, meta.to_metadata_props(), onnx_path)
    LOGGER.info("wrote TensorRT engine %s", engine_path)
    return engine_path
