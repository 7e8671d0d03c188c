#!/usr/bin/env bash
# make bench-opus: an OPUS-MT-sized random Marian model (bench/opus_sized.py explains the model,
# the forced 20 decoder steps and the floor), mobilenmt vs CTranslate2 INT8 with 1 and 2 intra
# threads, one engine at a time, on the first OPUS_LIMIT sentences of Multi30k test2016 (the
# committed eval/data/multi30k-test2016.en, so the benchmark runs from a clone).
#
# mobilenmt runs twice, on model-int8.gguf (full vocabulary) and on model-int8-shortlist.gguf (the
# same weights with a vocabulary shortlist). Interleaved: ROUNDS rounds, each running every
# configuration once, in an order rotated per round; the report pools the rounds.
#
# Environment (the Makefile sets these): OPUS_SRC (default eval/data/multi30k-test2016.en),
# OPUS_SL_SRC and OPUS_SL_TGT (the parallel corpus the shortlist is built from: space-separated
# files, default the committed dev sets eval/data/{tatoeba,newstest2014,flores}-dev, about 4,000
# pairs; set them to Multi30k train for the larger corpus earlier runs used), BENCH_VENV, OPUS_OUT (default
# build/bench/opus-sized; the model is generated there once, never committed), OPUS_LIMIT
# (default 50), ROUNDS (default 1), OPUS_CT2_THREADS (default "1 2"), OPUS_BEFORE (optional: the
# mnmt-bench binary of another build, run alongside on both files), OPUS_CANDIDATES (the
# shortlist file's mean candidate-set size, for its floor; default 231, measured by
# `cargo bench --bench shortlist` on the first 12 sentences with the Multi30k-train shortlist:
# re-measure it for another corpus), KERNELS (a saved
# `make bench-kernels` output; default: run it once into OPUS_OUT/kernels.txt), LIB, STATIC_LIBS.
set -euo pipefail

SRC=${OPUS_SRC:-eval/data/multi30k-test2016.en}
SL_SRC=${OPUS_SL_SRC:-eval/data/tatoeba-dev.en eval/data/newstest2014-dev.en eval/data/flores-dev.en}
SL_TGT=${OPUS_SL_TGT:-eval/data/tatoeba-dev.de eval/data/newstest2014-dev.de eval/data/flores-dev.de}
VENV=${BENCH_VENV:-bench/.venv}
OUT=${OPUS_OUT:-build/bench/opus-sized}
LIMIT=${OPUS_LIMIT:-50}
ROUNDS=${ROUNDS:-1}
CT2_THREADS=${OPUS_CT2_THREADS:-1 2}
CANDIDATES=${OPUS_CANDIDATES:-231}
LIB=${LIB:-target/release/libmobilenmt.a}
STATIC_LIBS=${STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}
KERNELS=${KERNELS:-$OUT/kernels.txt}
PY=$VENV/bin/python
CC=${CC:-cc}
step() { printf '\n== %s\n' "$*" >&2; }

bench/venv.sh "$VENV"
mkdir -p "$OUT/results"
rm -f "$OUT"/results/*.json
head -n "$LIMIT" "$SRC" > "$OUT/src.en"

step "model (random weights, generated once)"
[ -f "$OUT/hf/model.safetensors" ] || "$PY" bench/opus_sized.py make "$OUT/hf"
[ -f "$OUT/model-int8.gguf" ] || "$PY" tools/convert.py "$OUT/hf" "$OUT/model-int8.gguf" --name opus-sized-random
[ -f "$OUT/ct2-int8/model.bin" ] || "$PY" bench/convert_ct2.py "$OUT/hf" "$OUT/ct2-int8" --quantization int8
# The same weights with a shortlist from the SL corpus (its target pieces are the shipped model's
# first 8,000, so the candidate sets have realistic sizes; the tokens are random either way). Only
# the decoder's use of it makes a difference; a file reader ignores it otherwise. Rebuilt when the
# corpus changes (the stamp names it), since the candidate sets depend on it.
stamp="corpus: $SL_SRC | $SL_TGT"
if [ ! -f "$OUT/model-int8-shortlist.gguf" ] || [ "$(cat "$OUT/shortlist.corpus" 2>/dev/null)" != "$stamp" ]; then
  # shellcheck disable=SC2086 # the lists are space-separated file names
  cat $SL_SRC > "$OUT/sl.en"
  # shellcheck disable=SC2086
  cat $SL_TGT > "$OUT/sl.de"
  [ "$(wc -l < "$OUT/sl.en")" = "$(wc -l < "$OUT/sl.de")" ] \
    || { echo "opus_sized.sh: OPUS_SL_SRC and OPUS_SL_TGT differ in length" >&2; exit 1; }
  "$PY" tools/convert.py "$OUT/hf" "$OUT/model-int8-shortlist.gguf" --name opus-sized-random \
    --shortlist "$OUT/sl.en" "$OUT/sl.de" | grep -E "shortlist|file size"
  echo "$stamp" > "$OUT/shortlist.corpus"
fi

step "mnmt-bench"
$CC -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude bench/mnmt_bench.c "$LIB" $STATIC_LIBS \
  -o "$OUT/mnmt-bench"

if [ ! -s "$KERNELS" ]; then
  step "bench-kernels (for the floor)"
  cargo bench --bench kernels > "$KERNELS.tmp" && mv "$KERNELS.tmp" "$KERNELS"
fi

configs=("mobilenmt model-int8" "mobilenmt model-int8-shortlist")
# OPUS_BEFORE: an mnmt-bench binary of another build, run on both files in the same rounds.
[ -z "${OPUS_BEFORE:-}" ] || configs+=("before model-int8" "before model-int8-shortlist")
for t in $CT2_THREADS; do configs+=("ct2 $t"); done
n=${#configs[@]}
uptime
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    read -r engine arg <<< "${configs[$(((i + r) % n))]}"
    if [ "$engine" != ct2 ]; then
      step "round $r: $engine $arg, 1 thread, 20 steps"
      bin=$OUT/mnmt-bench label="mobilenmt INT8"
      [ "$engine" = mobilenmt ] || { bin=$OPUS_BEFORE label="mobilenmt INT8 before"; }
      "$bin" -m "$OUT/$arg.gguf" -i "$OUT/src.en" --max-len 20 --threads 1 --latency-only \
        --name "$label$([ "$arg" = model-int8 ] || echo ", shortlist")" -o "$OUT/hyp.$engine.$arg" \
        -j "$OUT/results/$r-1-$engine-$arg.json"
    else
      step "round $r: CTranslate2 int8, intra_threads $arg, 20 steps"
      "$PY" bench/opus_sized.py ct2 --model "$OUT/ct2-int8" --hf "$OUT/hf" -i "$OUT/src.en" --threads "$arg" \
        -j "$OUT/results/$r-2-ct2-t$arg.json"
    fi
  done
done
uptime
"$PY" bench/opus_sized.py floor --hf "$OUT/hf" -i "$OUT/src.en" --kernels "$KERNELS" \
  --candidates "$CANDIDATES" -j "$OUT/results/3-floor.json"

step "report ($OUT/report.md)"
"$PY" bench/opus_sized.py report "$OUT"/results/*.json | tee "$OUT/report.md"
if [ -n "${OPUS_BEFORE:-}" ]; then
  cmp "$OUT/hyp.before.model-int8" "$OUT/hyp.mobilenmt.model-int8" \
    && cmp "$OUT/hyp.before.model-int8-shortlist" "$OUT/hyp.mobilenmt.model-int8-shortlist" \
    && echo "before and after: identical translations, with and without the shortlist"
fi
