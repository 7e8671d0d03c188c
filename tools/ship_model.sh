#!/usr/bin/env bash
# Makes a trained Hugging Face Marian directory the shipped default model, models/mobilenmt-en-de/,
# and regenerates everything that follows from it, in one reproducible run:
#
#   1. checks HF_DIR (config, f16 safetensors, tokenizer files) and the Python tools;
#   2. copies the HF files into models/mobilenmt-en-de/ (the old contents are removed) and the
#      training log and history into models/mobilenmt-en-de/training/;
#   3. builds the library and the C example (`make examples`);
#   4. converts to INT8 with a vocabulary shortlist built from the training data (tools/convert.py
#      --shortlist), gates the shortlist (tools/shortlist_gate.py: at most 0.2 BLEU lost, greedy and
#      beam 4, on Tatoeba dev and FLORES dev through the C example) and, if the gate fails,
#      converts again without one; the file must be at most MAX_BYTES (10.5 MB);
#   5. regenerates tests/common/shipped.rs (tools/make_shipped_golden.py: transformers f32 vs the
#      INT8 file through the C library, on examples/demo.txt then eval/everyday.en: the first 8
#      sentences where both give the same text, greedy and beam 4);
#   6. translates eval/everyday.en (beam 4, INT8) into eval/everyday.$EVERYDAY_NAME.de;
#   7. runs the shipped-model Rust test (VERIFY=0 skips it) and prints a summary.
#
# Usage: PYTHON=/path/to/venv/bin/python TRAIN_DATA=DIR tools/ship_model.sh HF_DIR
#
#   PYTHON        a Python with torch, transformers, sentencepiece, safetensors, gguf, numpy and
#                 sacrebleu (tools/requirements-train.txt); default python3
#   TRAIN_DATA    the folder with the model's training data, train.en.gz and train.de.gz
#                 (tools/prepare_data.py's output); required unless SHORTLIST=0
#   TRAIN_LOG     the training log to ship (default: HF_DIR/../train.log)
#   TRAIN_HISTORY the per-epoch history to ship (default: HF_DIR/../history.json)
#   SHORTLIST=0   convert without a shortlist (no gate)
#   SHORTLIST_K   target words kept per source word (default 200), and SHORTLIST_FREQUENT the
#                 most frequent target words always allowed (default 1000): on the default model
#                 (Tatoeba + Europarl, 2.85 epochs) 50/100 lost 0.43 BLEU on Tatoeba beam 4 and
#                 100/500 lost 0.24, above the gate; 200/1000 lost at most 0.10
#   GATE_LINES    lines of each gate set (default 1000; 0 = the whole set)
#   EVERYDAY_NAME name of the everyday output (default general: eval/everyday.general.de)
#   MAX_BYTES     largest allowed model file (default 10500000)
#   VERIFY=0      skip `cargo test --test shipped_model` at the end
#   NICE          prefix of the heavy commands (default "nice -n 5")
#
# Every step prints what it does; any failure stops the run with a message naming the step.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

PYTHON=${PYTHON:-python3}
SHORTLIST=${SHORTLIST:-1}
GATE_LINES=${GATE_LINES:-1000}
SHORTLIST_K=${SHORTLIST_K:-200}
SHORTLIST_FREQUENT=${SHORTLIST_FREQUENT:-1000}
EVERYDAY_NAME=${EVERYDAY_NAME:-general}
MAX_BYTES=${MAX_BYTES:-10500000}
VERIFY=${VERIFY:-1}
NICE=${NICE:-nice -n 5}
NAME=mobilenmt-en-de
DEST=models/$NAME
WORK=build/ship
CLI=build/examples/mnmt-translate

current="starting"
step() { current=$1; printf '\n== %s\n' "$1"; }
fail() { echo "ship_model.sh: FAILED in step '$current': $*" >&2; exit 1; }
trap 'echo "ship_model.sh: FAILED in step '"'"'$current'"'"' (command exited $?, line $LINENO)" >&2' ERR
start=$(date +%s)

[ $# -eq 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
HF_DIR=${1%/}
TRAIN_LOG=${TRAIN_LOG:-$HF_DIR/../train.log}
TRAIN_HISTORY=${TRAIN_HISTORY:-$HF_DIR/../history.json}

step "1. check $HF_DIR and the tools"
for f in config.json generation_config.json model.safetensors source.spm target.spm vocab.json \
    tokenizer_config.json; do
    [ -s "$HF_DIR/$f" ] || fail "$HF_DIR/$f is missing or empty"
done
for f in "$TRAIN_LOG" "$TRAIN_HISTORY"; do [ -s "$f" ] || fail "$f is missing (set TRAIN_LOG / TRAIN_HISTORY)"; done
if [ "$SHORTLIST" != 0 ]; then
    [ -n "${TRAIN_DATA:-}" ] || fail "TRAIN_DATA is not set (the folder with train.en.gz, train.de.gz), or set SHORTLIST=0"
    for f in train.en.gz train.de.gz; do [ -s "$TRAIN_DATA/$f" ] || fail "$TRAIN_DATA/$f is missing"; done
fi
"$PYTHON" - "$HF_DIR" <<'EOF' || fail "$HF_DIR is not an f16 English-German Marian model, or $PYTHON lacks a module"
import json, sys
import gguf, numpy, sacrebleu, sentencepiece, torch, transformers  # noqa: F401 (the tools need them)
from safetensors import safe_open
d = sys.argv[1]
cfg = json.load(open(f"{d}/config.json"))
assert cfg.get("model_type") == "marian", cfg.get("model_type")
with safe_open(f"{d}/model.safetensors", "np") as f:
    dtypes = {str(f.get_tensor(k).dtype) for k in f.keys()}
assert dtypes == {"float16"}, f"safetensors dtypes {dtypes}, want float16 only"
print(f"  Marian d_model {cfg['d_model']}, {cfg['encoder_layers']} + {cfg['decoder_layers']} layers, "
      f"vocab {cfg['vocab_size']}; weights f16; torch {torch.__version__}, transformers {transformers.__version__}")
EOF

step "2. copy the Hugging Face files into $DEST/"
rm -rf "$DEST"
mkdir -p "$DEST/training"
for f in config.json generation_config.json model.safetensors source.spm target.spm vocab.json \
    tokenizer_config.json; do
    cp "$HF_DIR/$f" "$DEST/$f"
    chmod 644 "$DEST/$f"
done
cp "$TRAIN_LOG" "$DEST/training/train.log"
cp "$TRAIN_HISTORY" "$DEST/training/history.json"
chmod 644 "$DEST/training/"*
ls -l "$DEST" "$DEST/training" | sed 's/^/  /'

step "3. build the library and the C example (make examples)"
rm -rf "$WORK" && mkdir -p "$WORK"
$NICE make --no-print-directory examples >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log" >&2; fail "make examples (log: $WORK/make.log)"; }
echo "  $CLI built (log: $WORK/make.log)"

convert() { # OUT [--shortlist SRC TGT]
    local out=$1; shift
    # (the per-tensor quantization errors are left out; the worst one is printed)
    $NICE "$PYTHON" tools/convert.py "$DEST" "$out" --name "$NAME" --source-lang en --target-lang de "$@" \
        | grep -Ev '^ +[a-z_0-9.]+ +max [-+.e0-9]+ +mean ' | sed 's/^/  /'
}
gguf=""
if [ "$SHORTLIST" != 0 ]; then
    step "4a. convert to INT8 with a shortlist ($SHORTLIST_K per source word, $SHORTLIST_FREQUENT frequent) from $TRAIN_DATA/train.{en,de}.gz"
    convert "$WORK/model-int8-shortlist.gguf" --shortlist "$TRAIN_DATA/train.en.gz" "$TRAIN_DATA/train.de.gz" \
        --shortlist-k "$SHORTLIST_K" --shortlist-frequent "$SHORTLIST_FREQUENT"

    step "4b. shortlist gate: Tatoeba dev and FLORES dev (${GATE_LINES/#0/all} lines each), greedy and beam 4"
    gate_sets=()
    for s in tatoeba-dev flores-dev; do
        for side in en de; do
            if [ "$GATE_LINES" = 0 ]; then cp "eval/data/$s.$side" "$WORK/$s.$side"
            else head -n "$GATE_LINES" "eval/data/$s.$side" >"$WORK/$s.$side"; fi
        done
        gate_sets+=("$WORK/$s.en" "$WORK/$s.de")
    done
    $NICE "$PYTHON" tools/shortlist_gate.py --cli "$CLI" "$WORK/model-int8-shortlist.gguf" "${gate_sets[@]}" \
        | tee "$WORK/gate.txt" | sed 's/^/  /' || true
    if grep -qx 'gate: passed.*' "$WORK/gate.txt"; then
        echo "  gate passed: the shortlist is kept"
        gguf=$WORK/model-int8-shortlist.gguf
    elif grep -qx 'gate: FAILED.*' "$WORK/gate.txt"; then
        echo "  GATE FAILED (more than 0.2 BLEU lost): the model is converted without a shortlist"
    else
        fail "tools/shortlist_gate.py did not finish"
    fi
fi
if [ -z "$gguf" ]; then
    step "4c. convert to INT8 without a shortlist"
    convert "$WORK/model-int8.gguf"
    gguf=$WORK/model-int8.gguf
fi
size=$(stat -c %s "$gguf")
[ "$size" -le "$MAX_BYTES" ] || fail "$gguf is $size bytes, over the limit of $MAX_BYTES"
cp "$gguf" "$DEST/model-int8.gguf"
echo "  $DEST/model-int8.gguf: $size bytes (limit $MAX_BYTES)"
"$CLI" --info -m "$DEST/model-int8.gguf" | sed 's/^/  /'

step "5. golden demo translations: tests/common/shipped.rs (transformers f32 vs the INT8 file)"
$NICE "$PYTHON" -W ignore tools/make_shipped_golden.py --model "$DEST" --sentences examples/demo.txt eval/everyday.en \
    --cli "$CLI" --out tests/common/shipped.rs 2>&1 | grep -v '^Loading weights' | sed 's/^/  /'

step "6. everyday sentences: eval/everyday.$EVERYDAY_NAME.de (INT8, beam 4)"
$NICE "$CLI" -b 4 -m "$DEST/model-int8.gguf" <eval/everyday.en >"eval/everyday.$EVERYDAY_NAME.de"
[ "$(wc -l <eval/everyday.en)" = "$(wc -l <"eval/everyday.$EVERYDAY_NAME.de")" ] || fail "line counts differ"
paste eval/everyday.en "eval/everyday.$EVERYDAY_NAME.de" | head -12 | sed 's/^/  /'
echo "  ... ($(wc -l <eval/everyday.en) lines)"

if [ "$VERIFY" != 0 ]; then
    step "7. cargo test --test shipped_model"
    $NICE cargo test -q --test shipped_model >"$WORK/verify.log" 2>&1 \
        || { tail -30 "$WORK/verify.log" >&2; fail "cargo test --test shipped_model (log: $WORK/verify.log)"; }
    grep '^test result' "$WORK/verify.log" | sed 's/^/  /'
fi

step "done in $(( $(date +%s) - start )) s"
echo "  from:  $HF_DIR ($(sha256sum "$HF_DIR/model.safetensors" | cut -c1-16)... model.safetensors)"
echo "  wrote: $DEST/ ($(du -sh "$DEST" | cut -f1)), $DEST/model-int8.gguf ($size bytes," \
    "$( [ "$gguf" = "$WORK/model-int8-shortlist.gguf" ] && echo "with shortlist" || echo "no shortlist"))"
echo "         tests/common/shipped.rs, eval/everyday.$EVERYDAY_NAME.de"
echo "  next:  git add $DEST tests/common/shipped.rs eval/everyday.$EVERYDAY_NAME.de; make test; make demo"
