#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every number docs/results.md reports for a model, side by side with the shipped `lite` and the
# baselines, into one folder: the shipping score A (validation only: the one that decides), then
# the scores with no vote — self-down-sampled real sensor depth (Redwood, TUM, RGB-D-D real
# scenes; overall / flat / edge), the real phone-ToF LR, held-out Middlebury, NYU v2 x8, the RGB
# guidance probe, FP16 against FP32 (deployment graph) and CPU latency.
#
#   CAND=campaign/lite_hr/best.pt OUT=/tmp/report scripts/model_report.sh
#
# Environment: CAND (the candidate checkpoint, required), BASE (default models/bridgenet_lite.pt),
# OUT (default /tmp/model_report), PY (default .venv/bin/python), BRIDGENET_DATA_ROOT (default
# ../shared/data), THREADS (default 2). About 4 minutes on the project's idle 2-core CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${CAND:?set CAND to the candidate checkpoint}"
BASE=${BASE:-models/bridgenet_lite.pt}
OUT=${OUT:-/tmp/model_report}
PY=${PY:-.venv/bin/python}
THREADS=${THREADS:-2}
export BRIDGENET_DATA_ROOT=${BRIDGENET_DATA_ROOT:-../shared/data} OMP_NUM_THREADS=$THREADS
mkdir -p "$OUT"
M=(--model "$BASE" --model "$CAND")
linked() {  # a link $OUT/models/<folder>_<file> to checkpoint $1; prints its path
    local path="$OUT/models/$(basename "$(dirname "$1")")_$(basename "$1")"
    mkdir -p "$OUT/models" && ln -sf "$(realpath "$1")" "$path" && echo "$path"
}
if [ "$(basename "$BASE")" = "$(basename "$CAND")" ]; then  # eval names models by file stem
    M=(--model "$(linked "$BASE")" --model "$(linked "$CAND")")
fi
EVAL=("$PY" -m bridgenet_ros.cli.main eval)
failed=0
step() {  # step NAME COMMAND...: run, keep its output in $OUT/NAME.txt, count a failure
    echo "== $1"
    local name=$1; shift
    "$@" > "$OUT/$name.txt" 2>&1 || { echo "FAILED: $name (see $OUT/$name.txt)"; failed=$((failed + 1)); }
}
step A "$PY" scripts/shipping_score.py "${M[@]}"
for s in 4 8; do
    for d in "redwood 1.0" "tum 0.2"; do
        set -- $d
        step "rs_$1_x$s" "${EVAL[@]}" --data "raw_sensor/$1" --depth-scale "$2" --real-sensor \
            --scale "$s" "${M[@]}" --baselines bicubic --json "$OUT/rs_$1_x$s.json"
    done
    step "rs_realscene_x$s" "${EVAL[@]}" --data rgbdd_realscene --real-sensor --scale "$s" \
        "${M[@]}" --baselines bicubic --json "$OUT/rs_realscene_x$s.json"
done
step real_lr "${EVAL[@]}" --data rgbdd_realscene --lr-dir lr "${M[@]}" \
    --baselines bicubic,guided --json "$OUT/real_lr.json"
for s in 4 8 16; do
    step "middlebury_x$s" "${EVAL[@]}" --data middlebury --split val --scale "$s" "${M[@]}" \
        --baselines bicubic --json "$OUT/middlebury_x$s.json"
done
step nyu_x8 "${EVAL[@]}" --data nyu_v2 --scale 8 "${M[@]}" --baselines bicubic \
    --json "$OUT/nyu_x8.json"
step probe "$PY" scripts/rgb_guidance_probe.py --model "$CAND" --limit 33
# FP16 (issue 14): the candidate's deployment graph in float32 and float16, validation x4 / x16
for p in fp32 fp16; do
    flag=$([ "$p" = fp16 ] && echo --fp16 || true)
    step "export_graph_$p" "$PY" -m bridgenet_ros.cli.main export --model "$CAND" \
        --out "$OUT/graph_$p.onnx" --pipeline $flag
done
for s in 4 16; do
    step "graph_precision_x$s" "${EVAL[@]}" --data rgbdd --split val --scale "$s" \
        --backend onnxruntime --model "$OUT/graph_fp32.onnx" --model "$OUT/graph_fp16.onnx" \
        --json "$OUT/graph_precision_x$s.json"
done
for m in "$BASE" "$CAND"; do
    name=$(basename "$(dirname "$m")")_$(basename "$m" .pt)
    step "latency_$name" "$PY" scripts/deploy_latency.py --model "$m" --device cpu --runs 5 \
        --warmup 1 --threads "$THREADS" --no-torch --out "$OUT/latency_$name"
done
echo "report in $OUT; $failed step(s) failed"
exit $((failed > 0))
