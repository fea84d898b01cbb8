#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start or resume the issue-12 training campaign on the CPU, niced so other work keeps priority.
# Stop it with Ctrl-C / kill right after a "checkpoint" row in campaign/lite_gate/log.csv (state.pt
# is written every checkpoint_every steps), then commit campaign/lite_gate/ and add a
# docs/training_log.md entry.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-config/train_campaign_lite_gate.yaml}
OUT=${OUT:-campaign/lite_gate}
PY=${PY:-.venv/bin/python}
resume=()
[ -f "$OUT/state.pt" ] && resume=(--resume)
exec nice -n 10 "$PY" -m bridgenet_ros.cli.main train --config "$CONFIG" --out "$OUT" --no-progress "${resume[@]}"
