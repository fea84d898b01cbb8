#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GPU training job: trains `lite` (config/train_lite.yaml) and the `dsr_only` ablation
# (config/train_dsr_only.yaml) side by side on one GPU under the same wall-time budget, then
# measures CUDA latency (scripts/bench_cuda.py). Run from the repository root with the shared data
# reachable (../shared/data or $BRIDGENET_DATA_ROOT):
#
#     scripts/gpu_train.sh [OUT_DIR]
#
# Results: OUT_DIR/runs.tar.gz (best.pt, last.pt, log.csv, config.yaml of both runs; the
# resumable state.pt files stay in runs/ — they would push the archive past 16 MB),
# OUT_DIR/{lite,dsr_only}.log, OUT_DIR/cuda_latency.json. Environment overrides for a dry run
# on a CPU machine: DEVICE=cpu WORKERS=1 BUDGET_S=40 BENCH=0. STAGE=2 runs the fine-tuning stage
# (config/train_*_stage2.yaml) from runs/gpu_<variant>/best.pt into runs/gpu_<variant>_stage2.
set -uo pipefail
OUT_DIR=${1:-${OUT:-out/gpu}}
PY=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 OPENBLAS_NUM_THREADS=1

"$PY" - <<'EOF' || exit 1
import sys, numpy, scipy, PIL, yaml, torch
print(f"python {sys.version.split()[0]} numpy {numpy.__version__} torch {torch.__version__} "
      f"cuda {torch.cuda.is_available()} "
      f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else ''}")
from bridgenet_ros.data.folders import DEFAULT_DATA_ROOT, open_named_set
print("data root", DEFAULT_DATA_ROOT, "rgbdd train frames",
      len(open_named_set("rgbdd", split="train")))
EOF

# DataLoader workers pass batches through /dev/shm: a small one (container default 64 MB) fails
shm_kb=$(df -k --output=size /dev/shm 2>/dev/null | tail -1 | tr -d ' ')
echo "/dev/shm ${shm_kb:-?} kB; $(nproc) CPUs"
if [[ -n "$shm_kb" && "$shm_kb" -lt 4000000 && $(id -u) == 0 ]]; then
  mount -o remount,size=8G /dev/shm && echo "/dev/shm enlarged to 8 GB"
fi

extra=()
[[ -n "${DEVICE:-}" ]] && extra+=(--device "$DEVICE")
[[ -n "${WORKERS:-}" ]] && extra+=(--num-workers "$WORKERS")
[[ -n "${BUDGET_S:-}" ]] && extra+=(--time-budget-s "$BUDGET_S")
suffix=""
[[ "${STAGE:-1}" == 2 ]] && suffix="_stage2"
pids=()
for variant in lite dsr_only; do
  init=()
  [[ -n "$suffix" ]] && init=(--init "runs/gpu_${variant}/best.pt")
  rm -rf "runs/gpu_${variant}${suffix}"
  "$PY" -m bridgenet_ros.cli.main train --config "config/train_${variant}${suffix}.yaml" \
    --out "runs/gpu_${variant}${suffix}" --no-progress "${init[@]}" "${extra[@]}" \
    >"$OUT_DIR/${variant}.log" 2>&1 &
  pids+=($!)
done
# progress while both run: the last train row of each CSV log every 30 s
while kill -0 "${pids[@]}" 2>/dev/null; do
  sleep 30
  for variant in lite dsr_only; do
    row=$(grep ',train,' "runs/gpu_${variant}${suffix}/log.csv" 2>/dev/null | tail -1)
    echo "$(date +%T) ${variant}: ${row:-starting}"
  done
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=utilization.gpu,memory.used \
    --format=csv,noheader
done
status=0
for i in 0 1; do wait "${pids[$i]}" || status=1; done
for variant in lite dsr_only; do
  echo "== ${variant}"; grep -E 'val rmse|trained|Error|error' "$OUT_DIR/${variant}.log" | tail -12
done
tar czf "$OUT_DIR/runs.tar.gz" --exclude=state.pt --exclude='*.tmp' "runs/gpu_lite${suffix}" "runs/gpu_dsr_only${suffix}"
if [[ "${BENCH:-1}" == 1 ]]; then
  "$PY" scripts/bench_cuda.py --checkpoint "runs/gpu_lite${suffix}/best.pt" \
    --checkpoint models/bridgenet_lite.pt --json "$OUT_DIR/cuda_latency.json" || status=1
fi
exit $status
