#!/usr/bin/env bash
# make bench: mobilenmt against CTranslate2 and PyTorch on Multi30k test_2016_flickr, one thread,
# one engine at a time (never in parallel: they would measure each other).
#
# Everything it reads is in the repository: the test set (eval/data/, BENCH_SRC and BENCH_REF), the
# model (BENCH_MODEL, default models/mobilenmt-en-de). It checks them, and the compiler and library, before it makes the
# benchmark venv (torch, CTranslate2: gigabytes). `bench/run.sh --check` only checks.
#
# Environment (the Makefile sets these): BENCH_MODEL (a Hugging Face directory with its
# model-int8.gguf, default models/mobilenmt-en-de), BENCH_SRC, BENCH_REF (the test set, default
# eval/data/multi30k-test2016.en and .de), BENCH_VENV (default bench/.venv),
# BENCH_OUT (default build/bench), TORCH_LIMIT (PyTorch batch-1 latency on the first N sentences;
# 0 = all), BEAMS (default "1 4"), LIB (the static library), STATIC_LIBS (its link flags),
# BENCH_REPORT and BENCH_CHART (default BENCHMARKS.md and docs/bench.png).
set -euo pipefail

SRC=${BENCH_SRC:-eval/data/multi30k-test2016.en}
REF=${BENCH_REF:-eval/data/multi30k-test2016.de}
VENV=${BENCH_VENV:-bench/.venv}
OUT=${BENCH_OUT:-build/bench}
TORCH_LIMIT=${TORCH_LIMIT:-200}
BEAMS=${BEAMS:-1 4}
LIB=${LIB:-target/release/libmobilenmt.a}
STATIC_LIBS=${STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}
HF=${BENCH_MODEL:-models/mobilenmt-en-de}
PY=$VENV/bin/python
CC=${CC:-cc}

step() { printf '\n== %s\n' "$*" >&2; }

# 0. Inputs, before anything is downloaded or built.
missing=()
for f in "$SRC" "$REF" "$HF/model-int8.gguf" "$HF/config.json" "$HF/model.safetensors" "$HF/source.spm" \
    "$HF/target.spm" "$HF/vocab.json" "$LIB" bench/requirements.txt; do
  [ -s "$f" ] || missing+=("$f")
done
command -v "$CC" >/dev/null || missing+=("a C compiler ($CC)")
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=("python3 with venv and ensurepip (python3-venv)")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'bench/run.sh: missing: %s\n' "${missing[@]}" >&2
  exit 1
fi
if [ "$(wc -l < "$SRC")" != "$(wc -l < "$REF")" ]; then
  echo "bench/run.sh: $SRC and $REF differ in line count" >&2
  exit 1
fi
if [ "${1:-}" = --check ]; then
  echo "bench inputs: ok ($(wc -l < "$SRC") sentences in $SRC)"
  exit 0
fi

# 1. The bench venv, rebuilt when bench/requirements.txt changes.
bench/venv.sh "$VENV"

rm -rf "$OUT/results" "$OUT/hyp"
mkdir -p "$OUT/results" "$OUT/hyp"

# 2. The test set, copied next to the results.
cp "$SRC" "$OUT/test.en"
cp "$REF" "$OUT/test.de"

# 3. Our benchmark program, linked against the static library like an application would.
step "mnmt-bench"
$CC -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude bench/mnmt_bench.c "$LIB" $STATIC_LIBS \
  -o "$OUT/mnmt-bench"

# 4. Models: the shipped INT8 file as is; f32 and CTranslate2 converted from the same HF weights.
step "models"
[ -f "$OUT/model-f32.gguf" ] || "$PY" tools/convert.py "$HF" "$OUT/model-f32.gguf" --dtype f32 \
  --name "$(basename "$HF")" --source-lang en --target-lang de
# bench/convert_ct2.py explains why not the stock converter; its output is measured once too.
for q in int8 float32; do
  "$PY" bench/convert_ct2.py "$HF" "$OUT/ct2-$q" --quantization "$q"
done
"$PY" bench/convert_ct2.py "$HF" "$OUT/ct2-int8-stock" --quantization int8 --stock

# 5. The engines, one after another.
src=$OUT/test.en
for b in $BEAMS; do
  step "beam $b: mobilenmt int8"
  "$OUT/mnmt-bench" -m "$HF/model-int8.gguf" -i "$src" -b "$b" --name mobilenmt-int8 \
    -o "$OUT/hyp/mobilenmt-int8.b$b.de" -j "$OUT/results/mobilenmt-int8.b$b.json"
  step "beam $b: mobilenmt f32"
  "$OUT/mnmt-bench" -m "$OUT/model-f32.gguf" -i "$src" -b "$b" --name mobilenmt-f32 \
    -o "$OUT/hyp/mobilenmt-f32.b$b.de" -j "$OUT/results/mobilenmt-f32.b$b.json"
  for q in int8 float32; do
    name=ct2-${q/float32/f32}
    step "beam $b: CTranslate2 $q"
    "$PY" bench/peers.py ct2 --model "$OUT/ct2-$q" --compute-type "$q" --hf "$HF" -i "$src" -b "$b" \
      --name "$name" -o "$OUT/hyp/$name.b$b.de" -j "$OUT/results/$name.b$b.json"
  done
  step "beam $b: PyTorch f32 (batch-1 latency on the first $TORCH_LIMIT sentences)"
  "$PY" bench/peers.py torch --hf "$HF" -i "$src" -b "$b" --limit "$TORCH_LIMIT" --name pytorch-f32 \
    -o "$OUT/hyp/pytorch-f32.b$b.de" -j "$OUT/results/pytorch-f32.b$b.json"
done

step "greedy: CTranslate2 int8, stock converter"
"$PY" bench/peers.py ct2 --model "$OUT/ct2-int8-stock" --compute-type int8 --hf "$HF" -i "$src" -b 1 \
  --name ct2-int8-stock -o "$OUT/hyp/ct2-int8-stock.b1.de" -j "$OUT/results/ct2-int8-stock.b1.json"

# 6. Scores, table and chart.
step "report"
"$PY" bench/report.py --results "$OUT/results" --hyp "$OUT/hyp" --ref "$OUT/test.de" \
  --torch-limit "$TORCH_LIMIT" --model "$HF" --out "${BENCH_REPORT:-BENCHMARKS.md}" --chart "${BENCH_CHART:-docs/bench.png}"
