#!/usr/bin/env bash
# The device check: pretraining step, serving and generation on this machine's accelerator
# (or CPU), one markdown table (benchmarks/device_check.py says what each row is).
#   bash benchmarks/device_check.sh [--smoke] [--out=device_check.md] [--peer_python=PY]
# Uses the project's .venv when there is one, else the python3 on PATH (a GPU machine's own
# TensorFlow with CUDA); that python needs clue-tf's requirements installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
exec "$python" "$root/benchmarks/device_check.py" "$@"
