#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GPU smoke check for the runtime: onnxruntime-CUDA (or torch-CUDA) parity against the CPU and
# latency, plus the real TensorRT test when tensorrt is installed. Run on a GPU machine from the
# repository root:  scripts/gpu_check.sh [variant] [height] [width]
set -euo pipefail
PY=${PYTHON:-.venv/bin/python}
VARIANT=${1:-lite}
HEIGHT=${2:-480}
WIDTH=${3:-640}
"$PY" - "$VARIANT" "$HEIGHT" "$WIDTH" <<'PYEOF'
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bridgenet_ros.export.onnx_export import export_onnx
from bridgenet_ros.model import create_model, save_checkpoint
from bridgenet_ros.runtime.backends.factory import create_backend
from bridgenet_ros.runtime.backends.onnxruntime_backend import ort_available_providers

variant, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
rng = np.random.default_rng(0)
rgb = rng.random((1, 3, height, width), dtype=np.float32)
depth = rng.random((1, 1, height, width), dtype=np.float32)


def latency(backend, n=30):
    for _ in range(3):
        backend.infer(rgb, depth)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        backend.infer(rgb, depth)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


with tempfile.TemporaryDirectory() as tmp:
    pt = Path(tmp) / "m.pt"
    model = create_model(variant).eval()
    save_checkpoint(pt, model, {})
    onnx_path = export_onnx(model, pt.with_suffix(".onnx"), input_hw=None).path
    ref = create_backend("onnxruntime", onnx_path).infer(rgb, depth)[0]
    gpus = []
    if "CUDAExecutionProvider" in ort_available_providers():
        gpus.append(create_backend("onnxruntime", onnx_path, device="cuda"))
    if torch.cuda.is_available():
        gpus.append(create_backend("torch", pt, device="cuda"))
    if not gpus:
        sys.exit("no GPU backend: neither onnxruntime-gpu nor a CUDA torch is installed")
    for backend in gpus:
        out = backend.infer(rgb, depth)[0]
        diff = float(np.abs(out - ref).max())
        print(f"{backend.name:18s} max |gpu - cpu| = {diff:.2e}  median {latency(backend):.2f} ms"
              f" at {height}x{width} ({variant})")
        assert diff < 1e-2, f"{backend.name} differs from the CPU by {diff}"
PYEOF
if "$PY" -c "import tensorrt" 2>/dev/null; then
  "$PY" -m pytest test/runtime/test_tensorrt_backend.py -q -k real_tensorrt
fi
