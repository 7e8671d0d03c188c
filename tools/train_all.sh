#!/usr/bin/env bash
# Trains the two test fixtures and the captions model in one go (used on a GPU machine; works on
# CPU too, slowly). Writes results as archives under $OUT (default build/train-out).
# Usage: tools/train_all.sh DATA_DIR [DEMO_MINUTES] [FIXTURE_MINUTES]
set -euo pipefail
data=${1:?usage: tools/train_all.sh DATA_DIR [DEMO_MINUTES] [FIXTURE_MINUTES]}
demo_min=${2:-5}
fx_min=${3:-1}
out=${OUT:-build/train-out}
py=${PYTHON:-python3}
work=$(mktemp -d)
mkdir -p "$out"
export PYTHONUNBUFFERED=1
for fx in tiny-swish tiny-relu-untied; do
  $py tools/train.py --data "$data" --vocab "tests/data/$fx" --out "$work/$fx" --preset "$fx" \
    --max-minutes "$fx_min" --checkpoint-every 0 --threads 4 2>&1 | grep -v -i warn
done
rm -f "$work"/*/last.pt
tar -C "$work" -czf "$out/fixtures.tgz" tiny-swish tiny-relu-untied
$py tools/train.py --data "$data" --vocab models/mobilenmt-en-de-captions --out "$work/demo" --preset demo \
  --max-minutes "$demo_min" --checkpoint-every 0 --threads 4 --bleu test_2016_flickr 2>&1 | grep -v -i warn
rm -f "$work"/demo/last.pt
tar -C "$work" -czf - demo | split -b 15M - "$out/demo.tgz.part-"
ls -la "$out"
