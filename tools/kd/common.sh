# Shared settings of the three distillation steps (sourced, not run). Override by environment.
# DATA: tools/prepare_data.py output; VOCAB: tools/make_vocab.py output; THREADS: CPU threads
# (data loading and CPU runs; a GPU is used when torch sees one).
DATA=${DATA:-.devdata/general}
VOCAB=${VOCAB:-.devdata/vocab8k}
PYTHON=${PYTHON:-python3}
THREADS=${THREADS:-4}
export PYTHONUNBUFFERED=1
