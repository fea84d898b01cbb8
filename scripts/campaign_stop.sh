#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Stop a campaign started by scripts/campaign_cpu.sh the graceful way: SIGTERM to the trainer
# process only (its pid is in $RUN_DIR/trainer.pid), then wait until it has validated, saved
# state.pt/last.pt and exited. `pkill -f` would also hit the DataLoader worker and crash the run.
#   RUN_DIR=campaign/lite_hr_deep scripts/campaign_stop.sh      # TIMEOUT_S (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-campaign/lite_hr_deep}
PID_FILE="$RUN_DIR/trainer.pid"
[ -f "$PID_FILE" ] || { echo "no $PID_FILE: no campaign was started from $RUN_DIR" >&2; exit 1; }
pid=$(cat "$PID_FILE")
running() {  # the trainer is alive (a zombie has an empty cmdline; a reused pid another one)
    grep -q "bridgenet_ros.cli.main" "/proc/$pid/cmdline" 2>/dev/null
}
if ! running; then
    echo "process $pid is not running a campaign (already stopped?); removing $PID_FILE" >&2
    rm -f "$PID_FILE"
    exit 1
fi
kill -TERM "$pid"
for _ in $(seq "${TIMEOUT_S:-300}"); do
    if ! running; then
        rm -f "$PID_FILE"
        echo "stopped; last rows of $RUN_DIR/log.csv:"
        tail -n 3 "$RUN_DIR/log.csv"
        exit 0
    fi
    sleep 1
done
echo "process $pid still running after ${TIMEOUT_S:-300} s" >&2
exit 1
