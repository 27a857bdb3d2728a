#!/usr/bin/env bash
# One-click CLUE baselines (AFQMC, TNEWS', IFLYTEK', CMNLI) for a checkpoint bundle.
# Usage: bash run_classifier_clue.sh --bundle_dir=DIR --data_dir=CLUE_ROOT [--tasks=afqmc,tnews,iflytek,cmnli]
set -euo pipefail
cd "$(dirname "$0")"
BUNDLE_DIR=""; DATA_DIR=""; TASKS="afqmc,tnews,iflytek,cmnli"; OUT="output/clue"
for arg in "$@"; do
  case "$arg" in
    --bundle_dir=*) BUNDLE_DIR="${arg#*=}" ;;
    --data_dir=*) DATA_DIR="${arg#*=}" ;;
    --tasks=*) TASKS="${arg#*=}" ;;
    --output_dir=*) OUT="${arg#*=}" ;;
    *) echo "run_classifier_clue.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [ -z "$BUNDLE_DIR" ] || [ -z "$DATA_DIR" ]; then
  echo "usage: bash run_classifier_clue.sh --bundle_dir=DIR --data_dir=CLUE_ROOT [--tasks=...]" >&2
  exit 2
fi
source scripts/ensure_env.sh
IFS=',' read -ra TASK_LIST <<< "$TASKS"
for task in "${TASK_LIST[@]}"; do
  clue-tf run_classifier --task_name="$task" --data_dir="$DATA_DIR/${task}_public" \
    --bundle_dir="$BUNDLE_DIR" --do_train=true --do_eval=true --do_predict=true \
    --max_seq_length=128 --train_batch_size=32 --learning_rate=2e-5 --num_train_epochs=3 \
    --output_dir="$OUT/$task"
done
