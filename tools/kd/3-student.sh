#!/usr/bin/env bash
# Distillation step 3 of 3: train the student (train.py preset `demo`: d_model 256, 6 + 2 layers,
# 8k vocabulary, about 9 MB as INT8) on the originals plus the teacher's translations, for MINUTES of
# wall clock. Writes OUT/student/ (train.log, last.pt, hf/ ready for tools/convert.py).
# Rerunning with the same OUT resumes from OUT/student/last.pt.
# Usage: tools/kd/3-student.sh OUT MINUTES [more tools/train.py options]
set -euo pipefail
out=${1:?usage: tools/kd/3-student.sh OUT MINUTES [train.py options]}
minutes=${2:?usage: tools/kd/3-student.sh OUT MINUTES [train.py options]}
shift 2
. "$(dirname "$0")/common.sh"
exec $PYTHON tools/train.py --data "$out/distilled" --vocab "$VOCAB" --out "$out/student" --preset demo \
  --max-minutes "$minutes" --resume --checkpoint-every 1 --val-every "${VAL_EVERY:-500}" --samples 3 \
  --threads "$THREADS" "$@"
