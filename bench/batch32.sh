#!/usr/bin/env bash
# Batch-32 throughput, interleaved: mobilenmt builds (each an mnmt-bench binary, e.g. one linked
# with main's library and one with a branch's) and CTranslate2 INT8, one thread each, greedy and
# beam 4, ROUNDS rounds; each round runs every engine at beam 1, then every engine at beam 4, so
# that a change in the machine's load hits them alike. Only the batch pass is run
# (mnmt-bench --batch-only; bench/peers.py --limit 1 times one sentence at batch 1 first).
#
#   bench/batch32.sh OUT_DIR NAME=MNMT_BENCH [NAME=MNMT_BENCH...]
#
# Environment: BENCH_MODEL (Hugging Face dir with model-int8.gguf, default models/mobilenmt-en-de),
# CT2_MODEL (its CTranslate2 INT8 conversion, bench/convert_ct2.py; default OUT_DIR/ct2), BENCH_SRC
# (default eval/data/multi30k-test2016.en), ROUNDS (3), BENCH_VENV (bench/.venv).
# Prints one line per run and a table of medians: sentences per second of wall clock and of
# process CPU time, and each one's ratio to CTranslate2.
set -euo pipefail
OUT=$1
shift
HF=${BENCH_MODEL:-models/mobilenmt-en-de}
CT2=${CT2_MODEL:-$OUT/ct2}
SRC=${BENCH_SRC:-eval/data/multi30k-test2016.en}
ROUNDS=${ROUNDS:-3}
PY=${BENCH_VENV:-bench/.venv}/bin/python
mkdir -p "$OUT/runs"
rm -f "$OUT"/runs/*.json
[ -f "$CT2/model.bin" ] || "$PY" bench/convert_ct2.py "$HF" "$CT2" --quantization int8
uptime
for ((r = 1; r <= ROUNDS; r++)); do
  for b in 1 4; do
    for spec in "$@"; do
      name=${spec%%=*}
      "${spec#*=}" -m "$HF/model-int8.gguf" -i "$SRC" -b "$b" --threads 1 --batch-only \
        -o "$OUT/runs/hyp.$name.b$b" -j "$OUT/runs/$r-$name-b$b.json" --name "$name" 2>&1 | tail -n 1
    done
    "$PY" bench/peers.py ct2 --model "$CT2" --hf "$HF" -i "$SRC" -b "$b" --limit 1 \
      -o "$OUT/runs/hyp.ct2.b$b" -j "$OUT/runs/$r-ct2-b$b.json" --name ct2 2>&1 | tail -n 1
  done
done
uptime
"$PY" - "$OUT"/runs/*.json <<'PY'
import json, statistics, sys
runs = {}
for p in sys.argv[1:]:
    j = json.load(open(p))
    key = (j["beam"], j["name"])
    runs.setdefault(key, []).append((j["sentences"] / j["batch_seconds"], j["sentences"] / j["batch_cpu_seconds"]))
print("| beam | engine | runs | sent/s (wall) | ratio to CT2 | sent/CPU-s | ratio to CT2 |")
print("|---:|---|---:|---:|---:|---:|---:|")
for beam in sorted({b for b, _ in runs}):
    ct2 = runs[(beam, "ct2")]
    cw, cc = statistics.median(x[0] for x in ct2), statistics.median(x[1] for x in ct2)
    for (b, name), xs in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1] == "ct2", kv[0][1])):
        if b != beam:
            continue
        w, c = statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)
        print(f"| {beam} | {name} | {len(xs)} | {w:.1f} | {w / cw:.2f} | {c:.1f} | {c / cc:.2f} |")
PY
