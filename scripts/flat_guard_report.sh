#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The flat guard's measurements (docs/results.md "Flat guard"): both shipped models without and
# with `flat_guard` on every protocol: RGB-D-D validation (real-sensor regions, ToF-noisy LR),
# self-down-sampled real sensor depth, the real phone-ToF LR, held-out Middlebury, NYU v2 x8.
#
#   OUT=/tmp/guard scripts/flat_guard_report.sh
#
# Environment: OUT (default /tmp/flat_guard), PY (default .venv/bin/python),
# BRIDGENET_DATA_ROOT (default ../shared/data), THREADS (default 2). Each eval writes
# $OUT/<set>.json and .txt; a failed one is named and counted.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/flat_guard}
PY=${PY:-.venv/bin/python}
export BRIDGENET_DATA_ROOT=${BRIDGENET_DATA_ROOT:-../shared/data} OMP_NUM_THREADS=${THREADS:-2}
mkdir -p "$OUT"
E=("$PY" -m bridgenet_ros.cli.main eval --flat-guard both --baselines bicubic
   --model models/bridgenet_lite.pt --model models/bridgenet_lite_hr.pt)
failed=0
run() {  # run NAME ARGS...: one eval into $OUT/NAME.{json,txt}
    local name=$1; shift
    "${E[@]}" "$@" --json "$OUT/$name.json" > "$OUT/$name.txt" 2>&1 \
        || { echo "FAILED: $name (see $OUT/$name.txt)"; failed=$((failed + 1)); }
}
for s in 4 8 16; do
    run "valrs_x$s" --data rgbdd --split val --real-sensor --scale "$s"
    run "valnoisy_x$s" --data rgbdd --split val --scale "$s" \
        --sensor-model config/sensor_model_tof.yaml
    run "middlebury_x$s" --data middlebury --split val --scale "$s"
done
for s in 4 8; do
    run "redwood_x$s" --data raw_sensor/redwood --depth-scale 1.0 --real-sensor --scale "$s"
    run "tum_x$s" --data raw_sensor/tum --depth-scale 0.2 --real-sensor --scale "$s"
    run "realscene_x$s" --data rgbdd_realscene --real-sensor --scale "$s"
done
run real_lr --data rgbdd_realscene --lr-dir lr
run nyu_x8 --data nyu_v2 --scale 8
echo "results in $OUT; $failed eval(s) failed"
exit $((failed > 0))
