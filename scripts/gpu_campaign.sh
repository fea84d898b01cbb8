#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The issue-12 campaign on a lent GPU (15 device-minutes): resume the campaign's current stage
# (scripts/campaign_cpu.sh's default: campaign/lite_hr_deep,
# config/train_campaign_lite_hr_deep.yaml; CONFIG=... RUN_DIR=... for another) on CUDA for TRAIN_S
# seconds (default 600; the same config, LR schedule and batch as on the CPU, so the
# campaign stays one run), then the GPU figures of issue 14 (scripts/gpu_check.sh) if GPU_CHECK=1.
# The data must travel with the working tree: copy ../shared/data into an ignored folder first and
# name it in the device tool's `carry`:
#     echo /gpu_data/ >> .git/info/exclude; cp -r ../shared/data gpu_data   # 51 MB
#     run: BRIDGENET_DATA_ROOT=gpu_data scripts/gpu_campaign.sh
# (RUN_DIR=... and DEVICE=cpu TRAIN_S=30 for a dry run elsewhere.)
# Results under $OUT (or out/gpu): campaign.tar.gz (state.pt, last.pt, best.pt, log.csv; < 16 MB)
# and campaign.log; unpack it over campaign/ here, add a docs/training_log.md row, commit.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${OUT:-out/gpu}
PY=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
RUN_DIR=${RUN_DIR:-campaign/lite_hr_deep}
DEVICE=${DEVICE:-cuda} WORKERS=${WORKERS:-12} NICE=0 WALL_LIMIT_S=${TRAIN_S:-600} PY=$PY \
  RUN_DIR=$RUN_DIR scripts/campaign_cpu.sh >"$OUT_DIR/campaign.log" 2>&1
status=$?
tail -5 "$RUN_DIR/log.csv"
tar czf "$OUT_DIR/campaign.tar.gz" -C "$(dirname "$RUN_DIR")" "$(basename "$RUN_DIR")"
if [[ "${GPU_CHECK:-0}" == 1 ]]; then
  scripts/gpu_check.sh || status=1
fi
exit $status
