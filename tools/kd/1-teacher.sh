#!/usr/bin/env bash
# Distillation step 1 of 3: train the teacher (train.py preset `teacher`: d_model 512, 6 + 6 layers)
# on the prepared data for MINUTES of wall clock. Writes OUT/teacher/ (train.log, last.pt, hf/).
# Rerunning with the same OUT resumes from OUT/teacher/last.pt and trains MINUTES more.
# Usage: tools/kd/1-teacher.sh OUT MINUTES [more tools/train.py options]
set -euo pipefail
out=${1:?usage: tools/kd/1-teacher.sh OUT MINUTES [train.py options]}
minutes=${2:?usage: tools/kd/1-teacher.sh OUT MINUTES [train.py options]}
shift 2
. "$(dirname "$0")/common.sh"
exec $PYTHON tools/train.py --data "$DATA" --vocab "$VOCAB" --out "$out/teacher" --preset teacher \
  --max-minutes "$minutes" --resume --checkpoint-every 1 --val-every "${VAL_EVERY:-500}" --samples 3 \
  --threads "$THREADS" --save-dtype f32 "$@"
