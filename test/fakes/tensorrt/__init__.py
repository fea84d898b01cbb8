# SPDX-License-Identifier: Apache-2.0
"""Fake ``tensorrt`` enforcing the documented Python API of TensorRT 8.5/8.6, 10.x and 11.x.

``configure(version)`` switches the API surface: ``EXPLICIT_BATCH`` is required before 10 and
refused from 10 (deprecated, removed in 11); ``BuilderFlag.FP16`` and
``platform_has_fast_fp16`` do not exist in 11. Only the named I/O tensor API exists on engines
and contexts (no bindings, no ``execute_v2``). The builder refuses a network with dynamic inputs
but no optimization profile and a config without a workspace limit; the context refuses to run
before every input shape and tensor address is set; everything on the device needs a CUDA
context pushed in the calling thread. "Engines" are JSON; executing one runs the ONNX with
onnxruntime, so results are real.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import _device  # type: ignore[import-not-found]
import numpy as np

__version__ = "10.3.0"
calls: list[str] = []
built: list[dict[str, Any]] = []


class Logger:
    VERBOSE, INFO, WARNING, ERROR = 4, 3, 2, 1

    def __init__(self, min_severity: int = 2) -> None:
        self.min_severity = min_severity


class MemoryPoolType(enum.IntEnum):
    WORKSPACE = 0


class TensorIOMode(enum.IntEnum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class DataType(enum.IntEnum):
    FLOAT = 0
    HALF = 1
    INT32 = 3
    BOOL = 4
    UINT8 = 5


#: ONNX TensorProto element type -> DataType (what the fake parser accepts as network I/O)
_ONNX_TYPES = {
    1: DataType.FLOAT,
    10: DataType.HALF,
    6: DataType.INT32,
    9: DataType.BOOL,
    2: DataType.UINT8,
}


def nptype(dtype: DataType) -> type:
    return {
        DataType.FLOAT: np.float32,
        DataType.HALF: np.float16,
        DataType.INT32: np.int32,
        DataType.BOOL: np.bool_,
        DataType.UINT8: np.uint8,
    }[dtype]


NetworkDefinitionCreationFlag: Any = None
BuilderFlag: Any = None


def _major() -> int:
    return int(__version__.split(".")[0])


def configure(version: str) -> None:
    """Switch the fake to another TensorRT version's API."""
    global __version__, NetworkDefinitionCreationFlag, BuilderFlag
    __version__ = version
    major = _major()
    net_flags = {"STRONGLY_TYPED": 1} if major >= 10 else {}
    if major < 11:
        net_flags["EXPLICIT_BATCH"] = 0
    NetworkDefinitionCreationFlag = enum.IntEnum("NetworkDefinitionCreationFlag", net_flags)
    builder_flags = {"TF32": 7, "REFIT": 5}
    if major < 11:
        builder_flags.update(FP16=0, INT8=1)
    BuilderFlag = enum.IntEnum("BuilderFlag", builder_flags)
    calls.clear()
    built.clear()


configure(__version__)


class ITensor:
    def __init__(self, name: str, shape: tuple[int, ...]) -> None:
        self.name = name
        self.shape = shape


class INetworkDefinition:
    def __init__(self, flags: int) -> None:
        self.flags = flags
        self.inputs: list[ITensor] = []
        self.outputs: list[ITensor] = []
        self.onnx_path = ""
        self.dtypes: dict[str, int] = {}
        self.output_dims: dict[str, list[int | str]] = {}
        self.input_params: dict[str, list[Any]] = {}

    @property
    def num_inputs(self) -> int:
        return len(self.inputs)

    def get_input(self, index: int) -> ITensor:
        return self.inputs[index]


class OnnxParser:
    def __init__(self, network: INetworkDefinition, logger: Logger) -> None:
        if not isinstance(network, INetworkDefinition) or not isinstance(logger, Logger):
            raise TypeError("OnnxParser(network: INetworkDefinition, logger: ILogger)")
        self.network = network
        self.errors: list[str] = []

    def parse_from_file(self, model: str) -> bool:
        import onnx

        if not isinstance(model, str):
            raise TypeError("parse_from_file(model: str)")
        proto = onnx.load(model)

        def dims(value: Any) -> tuple[int, ...]:
            return tuple(
                d.dim_value if d.HasField("dim_value") else -1
                for d in value.type.tensor_type.shape.dim
            )

        def named_dims(value: Any) -> list[int | str]:
            return [
                d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in value.type.tensor_type.shape.dim
            ]

        io = [*proto.graph.input, *proto.graph.output]
        unsupported = [v.name for v in io if v.type.tensor_type.elem_type not in _ONNX_TYPES]
        if unsupported:
            self.errors.append(f"unsupported I/O data type of {unsupported}")
            return False
        self.network.inputs = [ITensor(v.name, dims(v)) for v in proto.graph.input]
        self.network.outputs = [ITensor(v.name, dims(v)) for v in proto.graph.output]
        self.network.dtypes = {v.name: int(_ONNX_TYPES[v.type.tensor_type.elem_type]) for v in io}
        self.network.output_dims = {v.name: named_dims(v) for v in proto.graph.output}
        self.network.input_params = {
            d: [v.name, axis]
            for v in proto.graph.input
            for axis, d in enumerate(named_dims(v))
            if isinstance(d, str)
        }
        self.network.onnx_path = model
        calls.append("parse_from_file")
        return True

    @property
    def num_errors(self) -> int:
        return len(self.errors)

    def get_error(self, index: int) -> str:
        return self.errors[index]


class IOptimizationProfile:
    def __init__(self) -> None:
        self.shapes: dict[str, tuple[tuple[int, ...], ...]] = {}

    def set_shape(self, input: str, min: Any, opt: Any, max: Any) -> None:
        shapes = tuple(tuple(int(d) for d in s) for s in (min, opt, max))
        if not all(a <= b <= c for a, b, c in zip(*shapes)):
            raise ValueError(f"profile for {input}: need min <= opt <= max, got {shapes}")
        self.shapes[input] = shapes


class ITimingCache:
    def __init__(self, data: bytes) -> None:
        self.data = bytes(data) or b"fake-timing-cache"

    def serialize(self) -> bytes:
        return self.data


class IBuilderConfig:
    def __init__(self) -> None:
        self.pool_limits: dict[MemoryPoolType, int] = {}
        self.flags: set[int] = set()
        self.profiles: list[IOptimizationProfile] = []
        self.timing_cache: ITimingCache | None = None

    def set_memory_pool_limit(self, pool: MemoryPoolType, pool_size: int) -> None:
        if not isinstance(pool, MemoryPoolType) or not isinstance(pool_size, int):
            raise TypeError("set_memory_pool_limit(pool: MemoryPoolType, pool_size: int)")
        self.pool_limits[pool] = pool_size

    def set_flag(self, flag: Any) -> None:
        if not isinstance(flag, BuilderFlag):
            raise TypeError(f"set_flag expects a BuilderFlag of TensorRT {__version__}")
        self.flags.add(int(flag))

    def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
        self.profiles.append(profile)
        return len(self.profiles) - 1

    def create_timing_cache(self, serialized_timing_cache: bytes) -> ITimingCache:
        if not isinstance(serialized_timing_cache, (bytes, bytearray, memoryview)):
            raise TypeError("create_timing_cache(serialized_timing_cache: buffer)")
        return ITimingCache(bytes(serialized_timing_cache))

    def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
        if not isinstance(cache, ITimingCache) or not isinstance(ignore_mismatch, bool):
            raise TypeError("set_timing_cache(cache: ITimingCache, ignore_mismatch: bool)")
        self.timing_cache = cache
        return True

    def get_timing_cache(self) -> ITimingCache | None:
        return self.timing_cache


class Builder:
    def __init__(self, logger: Logger) -> None:
        if not isinstance(logger, Logger):
            raise TypeError("Builder(logger: ILogger)")
        calls.append("Builder")

    def __getattr__(self, name: str) -> Any:
        if name == "platform_has_fast_fp16" and _major() < 11:
            return True
        raise AttributeError(f"tensorrt {__version__} Builder has no attribute {name!r}")

    def create_network(self, flags: int = 0) -> INetworkDefinition:
        explicit = 1 << 0
        if _major() < 10 and not flags & explicit:
            raise RuntimeError("TensorRT < 10: the ONNX parser needs an EXPLICIT_BATCH network")
        if _major() >= 10 and flags & explicit:
            raise RuntimeError(f"EXPLICIT_BATCH is deprecated/removed in TensorRT {__version__}")
        calls.append(f"create_network({flags})")
        return INetworkDefinition(flags)

    def create_builder_config(self) -> IBuilderConfig:
        return IBuilderConfig()

    def create_optimization_profile(self) -> IOptimizationProfile:
        return IOptimizationProfile()

    def build_serialized_network(
        self, network: INetworkDefinition, config: IBuilderConfig
    ) -> bytes | None:
        if not network.inputs:
            raise RuntimeError("network has no inputs: parse the ONNX first")
        if MemoryPoolType.WORKSPACE not in config.pool_limits:
            raise RuntimeError("bridgenet rule: set a WORKSPACE memory-pool limit before building")
        dynamic = [t.name for t in network.inputs if -1 in t.shape]
        covered = set().union(*(p.shapes for p in config.profiles)) if config.profiles else set()
        missing = [name for name in dynamic if name not in covered]
        if missing:
            raise RuntimeError(f"dynamic inputs {missing} need an optimization profile")
        if config.timing_cache is None:
            raise RuntimeError("bridgenet rule: set a timing cache before building")
        shapes = {}
        for tensor in network.inputs:
            if tensor.name in covered:
                prof = next(p for p in config.profiles if tensor.name in p.shapes)
                shapes[tensor.name] = list(prof.shapes[tensor.name][1])
            else:
                shapes[tensor.name] = list(tensor.shape)
        typed_flag = getattr(NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
        typed = typed_flag is not None and bool(network.flags & (1 << int(typed_flag)))
        fp16 = int(getattr(BuilderFlag, "FP16", -1)) in config.flags
        if typed and fp16:
            raise RuntimeError("a strongly typed network cannot take the FP16 builder flag")
        engine = {
            "version": __version__,
            "onnx": network.onnx_path,
            "inputs": shapes,
            "outputs": [t.name for t in network.outputs],
            "fp16": fp16,
            "strongly_typed": typed,
            "profiles": {
                n: list(map(list, p.shapes[n])) for p in config.profiles for n in p.shapes
            },
            "dtypes": network.dtypes,
            "output_dims": network.output_dims,
            "input_params": network.input_params,
        }
        built.append(engine)
        calls.append("build_serialized_network")
        return json.dumps(engine).encode()


class IExecutionContext:
    def __init__(self, engine: ICudaEngine) -> None:
        self.engine = engine
        self.input_shapes: dict[str, tuple[int, ...]] = {}
        self.addresses: dict[str, int] = {}

    def set_input_shape(self, name: str, shape: Any) -> bool:
        if self.engine.get_tensor_mode(name) != TensorIOMode.INPUT:
            raise RuntimeError(f"{name} is not an input")
        shape = tuple(int(d) for d in shape)
        lo, _, hi = self.engine.data.get("profiles", {}).get(name, [None, None, None])
        if lo is not None and len(shape) == len(lo):
            if not all(a <= d <= b for a, d, b in zip(lo, shape, hi)):
                return False  # outside the optimization profile
        elif list(shape) != self.engine.data["inputs"][name]:
            return False
        self.input_shapes[name] = shape
        return True

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        if name in self.engine.data["inputs"]:
            return self.input_shapes.get(name, tuple(self.engine.data["inputs"][name]))
        if len(self.input_shapes) != len(self.engine.data["inputs"]):
            raise RuntimeError("output shapes need every input shape set first")
        dims = self.engine.data.get("output_dims", {}).get(name)
        if dims is None:
            rgb = self.input_shapes["rgb"]
            return (1, 1, rgb[2], rgb[3])
        params = self.engine.data["input_params"]
        return tuple(
            d if isinstance(d, int) else self.input_shapes[params[d][0]][params[d][1]]
            for d in dims
        )

    def _itemsize(self, name: str) -> int:
        return int(np.dtype(nptype(self.engine.get_tensor_dtype(name))).itemsize)

    def set_tensor_address(self, name: str, memory: int) -> bool:
        _device.require_context("set_tensor_address")
        if not isinstance(memory, int) or memory not in _device.memory:
            raise RuntimeError(f"set_tensor_address({name}): {memory!r} is not a device address")
        need = int(np.prod(self.get_tensor_shape(name))) * self._itemsize(name)
        if len(_device.memory[memory]) < need:
            raise RuntimeError(f"buffer for {name} is smaller than {need} bytes")
        self.addresses[name] = memory
        return True

    def execute_async_v3(self, stream_handle: int) -> bool:
        import onnxruntime as ort

        _device.require_context("execute_async_v3")
        if stream_handle not in _device.streams:
            raise RuntimeError("execute_async_v3 needs a valid CUDA stream handle")
        names = self.engine.names
        unset = [n for n in names if n not in self.addresses]
        if unset or len(self.input_shapes) != len(self.engine.data["inputs"]):
            raise RuntimeError(f"execute_async_v3 before shapes/addresses were set: {unset}")
        feeds = {
            n: _device.read(
                self.addresses[n], self.input_shapes[n], nptype(self.engine.get_tensor_dtype(n))
            )
            for n in self.engine.data["inputs"]
        }
        session = ort.InferenceSession(
            self.engine.data["onnx"], providers=["CPUExecutionProvider"]
        )
        outs = session.run(self.engine.data["outputs"], feeds)
        for name, value in zip(self.engine.data["outputs"], outs):
            _device.write(self.addresses[name], value)
        calls.append("execute_async_v3")
        return True


class ICudaEngine:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.names = list(data["inputs"]) + list(data["outputs"])

    @property
    def num_io_tensors(self) -> int:
        return len(self.names)

    def get_tensor_name(self, index: int) -> str:
        return self.names[index]

    def get_tensor_mode(self, name: str) -> TensorIOMode:
        if name in self.data["inputs"]:
            return TensorIOMode.INPUT
        if name in self.data["outputs"]:
            return TensorIOMode.OUTPUT
        return TensorIOMode.NONE

    def get_tensor_dtype(self, name: str) -> DataType:
        return DataType(self.data.get("dtypes", {}).get(name, int(DataType.FLOAT)))

    def create_execution_context(self) -> IExecutionContext:
        _device.require_context("create_execution_context")
        return IExecutionContext(self)


class Runtime:
    def __init__(self, logger: Logger) -> None:
        if not isinstance(logger, Logger):
            raise TypeError("Runtime(logger: ILogger)")

    def deserialize_cuda_engine(self, serialized_engine: bytes) -> ICudaEngine | None:
        _device.require_context("deserialize_cuda_engine")
        data = json.loads(bytes(serialized_engine))
        if data["version"] != __version__:
            return None  # real TensorRT logs a version error and returns None
        return ICudaEngine(data)
