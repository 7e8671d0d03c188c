#!/usr/bin/env bash
# Distillation step 2 of 3: translate the training sources with the teacher (beam 4) for MINUTES of
# wall clock. Writes OUT/distilled/ (chunks/, train.{en,de}.gz = originals + distilled so far,
# val.{en,de}.gz, report.json). Rerunning with the same OUT continues with the chunks not yet done.
# Usage: tools/kd/2-distill.sh OUT MINUTES [more tools/distill.py options]
set -euo pipefail
out=${1:?usage: tools/kd/2-distill.sh OUT MINUTES [distill.py options]}
minutes=${2:?usage: tools/kd/2-distill.sh OUT MINUTES [distill.py options]}
shift 2
. "$(dirname "$0")/common.sh"
exec $PYTHON tools/distill.py --teacher "$out/teacher/hf" --data "$DATA" --out "$out/distilled" \
  --max-minutes "$minutes" --beams 4 --threads "$THREADS" "$@"
