#!/usr/bin/env bash
# bench/ab.sh BEFORE AFTER: batch-1, one-thread latency of two mobilenmt builds side by side with
# CTranslate2 INT8, on the shipped model, greedy and beam 4. BEFORE and AFTER are mnmt-bench
# binaries (bench/mnmt_bench.c linked against each build's libmobilenmt.a). AFTER also runs with
# AB_FORCE_ISA (default avx2) forced, to separate the kernel code from the kernel choice.
# Interleaved: ROUNDS rounds, each running every configuration once, the order rotated per round,
# so a change in the machine's load hits every configuration alike. Checks that BEFORE and AFTER
# translate identically.
#
# Environment: AB_SRC (default eval/data/multi30k-test2016.en), AB_LIMIT (first N lines, 300),
# ROUNDS (5), AB_OUT (build/bench/ab), AB_FORCE_ISA (avx2), BENCH_VENV (bench/.venv), CT2_MODEL
# (build/bench/threads/ct2-shipped, converted here when missing).
set -euo pipefail
[ $# = 2 ] || { echo "usage: bench/ab.sh BEFORE_MNMT_BENCH AFTER_MNMT_BENCH" >&2; exit 2; }
BEFORE=$1 AFTER=$2
SRC=${AB_SRC:-eval/data/multi30k-test2016.en}
LIMIT=${AB_LIMIT:-300}
ROUNDS=${ROUNDS:-5}
OUT=${AB_OUT:-build/bench/ab}
ISA=${AB_FORCE_ISA:-avx2}
VENV=${BENCH_VENV:-bench/.venv}
CT2=${CT2_MODEL:-build/bench/threads/ct2-shipped}
HF=models/mobilenmt-en-de
PY=$VENV/bin/python

bench/venv.sh "$VENV"
[ -f "$CT2/model.bin" ] || "$PY" bench/convert_ct2.py "$HF" "$CT2" --quantization int8
rm -rf "$OUT/results"
mkdir -p "$OUT/results"
head -n "$LIMIT" "$SRC" > "$OUT/src.en"
configs=()
for b in 1 4; do configs+=("before:best:$b" "after:$ISA:$b" "after:best:$b" "ct2:x:$b"); done
n=${#configs[@]}
uptime
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    IFS=: read -r eng isa b <<< "${configs[$(((i + r * 3) % n))]}"
    json=$OUT/results/$r-$eng-$isa-b$b.json
    hyp=$OUT/hyp.$eng.$isa.b$b
    case $eng in
      ct2) "$PY" bench/threads.py ct2 --model "$CT2" --spm "$HF/source.spm" -i "$OUT/src.en" -b "$b" -j "$json" ;;
      *) bin=$BEFORE; [ "$eng" = after ] && bin=$AFTER
         force=(); [ "$isa" != best ] && force=(MNMT_FORCE_ISA="$isa")
         env -u MNMT_FORCE_ISA "${force[@]}" "$bin" -m "$HF/model-int8.gguf" -i "$OUT/src.en" -b "$b" \
           --threads 1 --latency-only -o "$hyp" -j "$json" 2>/dev/null ;;
    esac
  done
done
uptime
for b in 1 4; do
  cmp "$OUT/hyp.before.best.b$b" "$OUT/hyp.after.best.b$b" && cmp "$OUT/hyp.before.best.b$b" "$OUT/hyp.after.$ISA.b$b" \
    && echo "beam $b: identical translations (before, after, after with $ISA)"
done
"$PY" - "$OUT/results" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    _, eng, isa, beam = os.path.basename(path)[:-5].split("-")
    with open(path) as f:
        r = json.load(f)
    row = rows.setdefault((beam, eng, isa), {"lat": [], "cpu": []})
    row["lat"] += r["latencies_ms"]
    row["cpu"] += r["cpu_latencies_ms"]
print("| beam | engine | kernels | calls | latency median ms | CPU median ms | latency / CTranslate2 | CPU / CTranslate2 |")
print("|---:|---|---|---:|---:|---:|---:|---:|")
med = statistics.median
for beam in sorted({k[0] for k in rows}):
    ct2 = rows[(beam, "ct2", "x")]
    for key in sorted(k for k in rows if k[0] == beam):
        r = rows[key]
        lat, cpu = med(r["lat"]), med(r["cpu"])
        print(f"| {beam[1:]} | {key[1]} | {key[2]} | {len(r['lat'])} | {lat:.2f} | {cpu:.2f} "
              f"| {lat / med(ct2['lat']):.2f} | {cpu / med(ct2['cpu']):.2f} |")
PY
