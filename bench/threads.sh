#!/usr/bin/env bash
# make bench-threads: batch-1 latency with 1 and 2 threads, mobilenmt (num_threads) vs
# CTranslate2 INT8 (intra_threads), on sentences of >= 25 source tokens, greedy and beam 4 on the
# shipped model, greedy with 20 forced steps on the OPUS-MT-sized model (make bench-opus builds
# it). Interleaved: ROUNDS rounds, each running every configuration once, in an order rotated
# per round, so that a change in the machine's load hits every configuration alike.
#
# Environment: BENCH_MODEL (default models/mobilenmt-en-de), BENCH_SRC (default eval/data/multi30k-test2016.en, committed), BENCH_VENV, THREADS_OUT (default build/bench/threads), ROUNDS (3),
# SHIPPED_LIMIT (40 sentences), OPUS_DIR (build/bench/opus-sized), THREADS_OPUS_LIMIT (10 sentences;
# 0 skips the OPUS-sized model), LIB, STATIC_LIBS.
set -euo pipefail

SRC=${BENCH_SRC:-eval/data/multi30k-test2016.en}
VENV=${BENCH_VENV:-bench/.venv}
OUT=${THREADS_OUT:-build/bench/threads}
ROUNDS=${ROUNDS:-3}
SHIPPED_LIMIT=${SHIPPED_LIMIT:-40}
OPUS_DIR=${OPUS_DIR:-build/bench/opus-sized}
THREADS_OPUS_LIMIT=${THREADS_OPUS_LIMIT:-10}
LIB=${LIB:-target/release/libmobilenmt.a}
STATIC_LIBS=${STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}
HF=${BENCH_MODEL:-models/mobilenmt-en-de}
PY=$VENV/bin/python
CC=${CC:-cc}
step() { printf '\n== %s\n' "$*" >&2; }

bench/venv.sh "$VENV"
rm -rf "$OUT/results"
mkdir -p "$OUT/results"
$CC -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude bench/mnmt_bench.c "$LIB" $STATIC_LIBS \
  -o "$OUT/mnmt-bench"
[ -f "$OUT/ct2-shipped/model.bin" ] || "$PY" bench/convert_ct2.py "$HF" "$OUT/ct2-shipped" --quantization int8
step "sentences of >= 25 tokens ($SRC)"
"$PY" bench/threads.py select --spm "$HF/source.spm" --min-tokens 25 --limit "$SHIPPED_LIMIT" \
  -o "$OUT/long.en" "$SRC"
configs=()
for b in 1 4; do
  for t in 1 2; do
    configs+=("shipped mobilenmt $t $b" "shipped ct2 $t $b")
  done
done
if [ "$THREADS_OPUS_LIMIT" != 0 ]; then
  [ -f "$OPUS_DIR/model-int8.gguf" ] || { echo "run make bench-opus first (or THREADS_OPUS_LIMIT=0)" >&2; exit 1; }
  head -n "$THREADS_OPUS_LIMIT" "$OUT/long.en" > "$OUT/long-opus.en"
  for t in 1 2; do
    configs+=("opus mobilenmt $t 1" "opus ct2 $t 1")
  done
fi
uptime
n=${#configs[@]}
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    read -r model engine t b <<< "${configs[$(((i + r * 3) % n))]}"
    json="$OUT/results/$r-$model-$engine-t$t-b$b.json"
    step "round $r: $model $engine threads $t beam $b"
    if [ "$model" = shipped ]; then
      src=$OUT/long.en
      if [ "$engine" = mobilenmt ]; then
        "$OUT/mnmt-bench" -m "$HF/model-int8.gguf" -i "$src" -b "$b" --threads "$t" --latency-only \
          -o "$OUT/hyp.$engine.t$t.b$b" -j "$json" 2>/dev/null
      else
        "$PY" bench/threads.py ct2 --model "$OUT/ct2-shipped" --spm "$HF/source.spm" -i "$src" \
          --threads "$t" -b "$b" -j "$json"
      fi
    else
      src=$OUT/long-opus.en
      if [ "$engine" = mobilenmt ]; then
        "$OUT/mnmt-bench" -m "$OPUS_DIR/model-int8.gguf" -i "$src" --max-len 20 --threads "$t" \
          --latency-only -o "$OUT/hyp.opus.t$t" -j "$json" 2>/dev/null
      else
        "$PY" bench/threads.py ct2 --model "$OPUS_DIR/ct2-int8" --spm "$HF/source.spm" -i "$src" \
          --threads "$t" --steps 20 -j "$json"
      fi
    fi
  done
done
uptime
cmp "$OUT/hyp.mobilenmt.t1.b1" "$OUT/hyp.mobilenmt.t2.b1" && cmp "$OUT/hyp.mobilenmt.t1.b4" "$OUT/hyp.mobilenmt.t2.b4" \
  && echo "mobilenmt: identical translations with 1 and 2 threads"
step "report ($OUT/report.md)"
"$PY" bench/threads.py report "$OUT"/results/*.json | tee "$OUT/report.md"
