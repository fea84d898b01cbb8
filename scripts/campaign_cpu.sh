#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start or resume the issue-12 training campaign on the CPU, niced so other work keeps priority
# (THREADS=N: torch threads, default the config's 1).
# Default: the last stage, 4 = `lite_hr` with a deeper full-resolution head
# (config/train_campaign_lite_hr_deep.yaml -> campaign/lite_hr_deep; finished in session 11, its
# state.pt is no longer committed, so in a fresh clone this retrains it). Finished stages: 1
# (train_campaign_lite_gate.yaml -> campaign/lite_gate), 2 (train_campaign_lite_hr.yaml ->
# campaign/lite_hr), 3b (train_campaign_lite_hr_holes.yaml -> campaign/lite_hr_holes), 3 (the
# dsr_only ablation, train_campaign_dsr_only_hr.yaml -> campaign/dsr_only_hr), the x4 probe
# (train_probe_clean_x4.yaml -> campaign/probe_clean_x4), 3c (train_campaign_lite_hr_holes2.yaml
# -> campaign/lite_hr_holes2), 5 (train_campaign_lite_hr_stopgrad.yaml ->
# campaign/lite_hr_stopgrad) and 6 (train_campaign_lite_hr_registered.yaml ->
# campaign/lite_hr_registered), and the diagnostic stage 7 (train_campaign_lite_hr_nomde.yaml ->
# campaign/lite_hr_nomde, session 12). Any of them with CONFIG=... RUN_DIR=....
# Stop it with Ctrl-C or scripts/campaign_stop.sh (SIGTERM to the trainer, whose pid is in
# $RUN_DIR/trainer.pid; not `pkill -f`, which also hits the data-loader worker and crashes the
# run): the trainer finishes the step, validates and saves state.pt/last.pt (WALL_LIMIT_S=N stops
# the same way after N seconds). Then commit the run folder and add a docs/training_log.md entry.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-config/train_campaign_lite_hr_deep.yaml}
RUN_DIR=${RUN_DIR:-campaign/lite_hr_deep}
PY=${PY:-.venv/bin/python}
args=(--config "$CONFIG" --out "$RUN_DIR" --no-progress)
[ -f "$RUN_DIR/state.pt" ] && args+=(--resume)
[ -n "${WALL_LIMIT_S:-}" ] && args+=(--wall-limit-s "$WALL_LIMIT_S")
[ -n "${THREADS:-}" ] && args+=(--threads "$THREADS")  # e.g. 2 when nothing else runs
[ -n "${DEVICE:-}" ] && args+=(--device "$DEVICE" --num-workers "${WORKERS:-1}")
mkdir -p "$RUN_DIR"
echo $$ > "$RUN_DIR/trainer.pid"  # exec keeps this pid: it is the trainer's
exec nice -n "${NICE:-10}" "$PY" -m bridgenet_ros.cli.main train "${args[@]}"
