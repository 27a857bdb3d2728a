#!/usr/bin/env bash
# One-click CLUE baselines (AFQMC, TNEWS', IFLYTEK', CMNLI) for an original bundle.
#
#   bash run_classifier_clue.sh --bundle_dir=DIR --data_dir=CLUE_ROOT \
#        [--tasks=afqmc,tnews,iflytek,cmnli] [--grid] [--output_dir=output/clue]
#        [--model_name=REGISTRY_NAME]
#
# CLUE_ROOT holds CLUE's folders: afqmc_public/ tnews_public/ iflytek_public/ cmnli_public/,
# each with train.json, dev.json, test.json. Defaults follow CLUE's baselines: base and
# large models lr 2e-5, 3 epochs; tiny models (hidden < 768 or <= 4 layers) lr 1e-4,
# 5 epochs; seq 128, batch 32. --grid runs CLUE's grid (epochs 3/5/8 x batch 32/64 x
# lr 3e-5/1e-4/3e-4); finished cells are kept and not run again. Ends with a table of dev
# accuracies beside CLUE's published scores for the model (found by --model_name or the
# bundle folder's name, e.g. RoBERTa-tiny-clue) and one submission zip from the best cells.
set -euo pipefail
cd "$(dirname "$0")"
BUNDLE_DIR=""; MODEL_NAME=""; DATA_DIR=""; TASKS="afqmc,tnews,iflytek,cmnli"; OUT="output/clue"; GRID=0
for arg in "$@"; do
  case "$arg" in
    --bundle_dir=*) BUNDLE_DIR="${arg#*=}" ;;
    --data_dir=*) DATA_DIR="${arg#*=}" ;;
    --tasks=*) TASKS="${arg#*=}" ;;
    --output_dir=*) OUT="${arg#*=}" ;;
    --grid) GRID=1 ;;
    --model_name=*) MODEL_NAME="${arg#*=}" ;;
    *) echo "run_classifier_clue.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [ -z "$BUNDLE_DIR" ] || [ -z "$DATA_DIR" ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
IFS=',' read -ra TASK_LIST <<< "$TASKS"
for task in "${TASK_LIST[@]}"; do
  if [ ! -f "$DATA_DIR/${task}_public/dev.json" ]; then
    cat >&2 <<MSG
run_classifier_clue.sh: no CLUE data for $task at $DATA_DIR/${task}_public/
Download CLUE's classification data (CLUEbenchmark/CLUE, "datasets": ${task}_public.zip)
and unzip it so that $DATA_DIR/${task}_public/{train,dev,test}.json exist. Nothing is downloaded here.
MSG
    exit 2
  fi
done
source scripts/ensure_env.sh

SIZE="$(python - "$BUNDLE_DIR" <<'PY'
import sys
from clue_tf.checkpoints.folders import locate, read_config
from clue_tf.tasks.baselines import size_class
print(size_class(read_config(locate(sys.argv[1]))))
PY
)"
if [ "$SIZE" = tiny ]; then DEFAULT_CELL="5 32 1e-4"; else DEFAULT_CELL="3 32 2e-5"; fi
if [ "$GRID" = 1 ]; then
  CELLS=(); for e in 3 5 8; do for b in 32 64; do for lr in 3e-5 1e-4 3e-4; do CELLS+=("$e $b $lr"); done; done; done
else
  CELLS=("$DEFAULT_CELL")
fi

for task in "${TASK_LIST[@]}"; do
  for cell in "${CELLS[@]}"; do
    read -r epochs batch lr <<< "$cell"
    cell_dir="$OUT/$task/ep${epochs}_bs${batch}_lr${lr}"
    if [ -f "$cell_dir/eval_results.json" ] && ls "$cell_dir"/*_predict.json >/dev/null 2>&1; then
      echo "== $task ep=$epochs batch=$batch lr=$lr: done earlier, kept"
      continue
    fi
    echo "== $task ep=$epochs batch=$batch lr=$lr"
    rm -rf "$cell_dir"
    clue-tf run_classifier --task_name="$task" --data_dir="$DATA_DIR/${task}_public" \
      --bundle_dir="$BUNDLE_DIR" --do_train=true --do_eval=true --do_predict=true \
      --max_seq_length=128 --train_batch_size="$batch" --eval_batch_size=64 --predict_batch_size=64 \
      --learning_rate="$lr" --num_train_epochs="$epochs" --output_dir="$cell_dir"
  done
done
python -m clue_tf.tasks.baselines "$OUT" "${MODEL_NAME:-$BUNDLE_DIR}"
