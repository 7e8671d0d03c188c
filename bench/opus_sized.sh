#!/usr/bin/env bash
# make bench-opus: an OPUS-MT-sized random Marian model (bench/opus_sized.py explains the model,
# the forced 20 decoder steps and the floor), mobilenmt vs CTranslate2 INT8 with 1 and 2 intra
# threads, one engine at a time, on the first OPUS_LIMIT sentences of Multi30k test_2016_flickr.
#
# Environment (the Makefile sets these): MULTI30K, BENCH_VENV, OPUS_OUT (default
# build/bench/opus-sized; the model is generated there once, never committed), OPUS_LIMIT
# (default 50), KERNELS (a saved `make bench-kernels` output; default: run it once into
# OPUS_OUT/kernels.txt), LIB, STATIC_LIBS.
set -euo pipefail

MULTI30K=${MULTI30K:-../shared/data/multi30k}
VENV=${BENCH_VENV:-bench/.venv}
OUT=${OPUS_OUT:-build/bench/opus-sized}
LIMIT=${OPUS_LIMIT:-50}
LIB=${LIB:-target/release/libmobilenmt.a}
STATIC_LIBS=${STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}
KERNELS=${KERNELS:-$OUT/kernels.txt}
PY=$VENV/bin/python
CC=${CC:-cc}
step() { printf '\n== %s\n' "$*" >&2; }

bench/venv.sh "$VENV"
mkdir -p "$OUT/results"
rm -f "$OUT"/results/*.json
gzip -dc "$MULTI30K/test_2016_flickr.en.gz" | head -n "$LIMIT" > "$OUT/src.en"

step "model (random weights, generated once)"
[ -f "$OUT/hf/model.safetensors" ] || "$PY" bench/opus_sized.py make "$OUT/hf"
[ -f "$OUT/model-int8.gguf" ] || "$PY" tools/convert.py "$OUT/hf" "$OUT/model-int8.gguf" --name opus-sized-random
[ -f "$OUT/ct2-int8/model.bin" ] || "$PY" bench/convert_ct2.py "$OUT/hf" "$OUT/ct2-int8" --quantization int8
# The same weights with a shortlist from Multi30k train (the first 8,000 pieces are the shipped
# model's, so the candidate sets have realistic sizes; the tokens are random either way). Only
# the decoder's use of it makes a difference; a file reader ignores it otherwise.
if [ ! -f "$OUT/model-int8-shortlist.gguf" ]; then
  gzip -dc "$MULTI30K/train.en.gz" > "$OUT/train.en"
  gzip -dc "$MULTI30K/train.de.gz" > "$OUT/train.de"
  "$PY" tools/convert.py "$OUT/hf" "$OUT/model-int8-shortlist.gguf" --name opus-sized-random \
    --shortlist "$OUT/train.en" "$OUT/train.de" | grep -E "shortlist|file size"
fi

step "mnmt-bench"
$CC -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude bench/mnmt_bench.c "$LIB" $STATIC_LIBS \
  -o "$OUT/mnmt-bench"

if [ ! -s "$KERNELS" ]; then
  step "bench-kernels (for the floor)"
  cargo bench --bench kernels > "$KERNELS.tmp" && mv "$KERNELS.tmp" "$KERNELS"
fi

step "mobilenmt int8, 1 thread, 20 steps"
"$OUT/mnmt-bench" -m "$OUT/model-int8.gguf" -i "$OUT/src.en" --max-len 20 --batch 8 --name mobilenmt-int8 \
  -o "$OUT/hyp.mobilenmt" -j "$OUT/results/1-mobilenmt.json"
for t in 1 2; do
  step "CTranslate2 int8, intra_threads $t, 20 steps"
  "$PY" bench/opus_sized.py ct2 --model "$OUT/ct2-int8" --hf "$OUT/hf" -i "$OUT/src.en" --threads "$t" \
    -j "$OUT/results/2-ct2-t$t.json"
done
"$PY" bench/opus_sized.py floor --hf "$OUT/hf" -i "$OUT/src.en" --kernels "$KERNELS" -j "$OUT/results/3-floor.json"

step "report ($OUT/report.md)"
"$PY" bench/opus_sized.py report "$OUT"/results/*.json | tee "$OUT/report.md"
