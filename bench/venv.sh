#!/usr/bin/env bash
# The bench venv ($1, default bench/.venv), (re)built when bench/requirements.txt changes.
# Shared by bench/run.sh and bench/opus_sized.sh.
set -euo pipefail
VENV=${1:-bench/.venv}
if [ ! -x "$VENV/bin/python" ] || [ bench/requirements.txt -nt "$VENV/.installed" ]; then
  printf '\n== %s\n' "bench venv ($VENV) from bench/requirements.txt" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -r bench/requirements.txt
  touch "$VENV/.installed"
fi
