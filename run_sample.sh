#!/usr/bin/env bash
# The main job on the bundled sample: set up, make TFRecords, pretrain a tiny model until
# masked-LM accuracy reaches 1.0, write an original bundle, and load it again.
# Usage: bash run_sample.sh [OUTPUT_DIR]   (default: output/sample)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
OUT="${1:-output/sample}"
rm -rf "$OUT/pretrain"  # start pretraining afresh instead of resuming a finished run
mkdir -p "$OUT"
clue-tf --version

bash create_sample_zh.sh "$OUT"

# A tiny BERT (sample/bert_config.json: 2 layers, hidden 128, no dropout) memorises the
# sample's masked tokens; TensorBoard logs go to $OUT/pretrain/train.
clue-tf run_pretraining \
  --input_file="$OUT/sample_zh.tfrecord" \
  --output_dir="$OUT/pretrain" \
  --bert_config_file=sample/bert_config.json \
  --vocab_file=sample/vocab.txt \
  --do_train=true --do_eval=true \
  --train_batch_size=16 --eval_batch_size=16 \
  --max_seq_length=128 --max_predictions_per_seq=20 \
  --num_train_steps=600 --num_warmup_steps=50 --learning_rate=2e-3 \
  --save_checkpoints_steps=200 --iterations_per_loop=25

accuracy=$(sed -n 's/^masked_lm_accuracy = //p' "$OUT/pretrain/eval_results.txt")
echo "masked LM accuracy on the sample: $accuracy"

# The written bundle is an original one: extract_features loads it like any release.
head -n 2 sample/sample_zh.txt > "$OUT/two_lines.txt"
clue-tf extract_features --bundle_dir="$OUT/pretrain/bundle" --input_file="$OUT/two_lines.txt" \
  --output_file="$OUT/features.jsonl" --layers=-1
python - "$accuracy" <<'PY'
import sys
accuracy = float(sys.argv[1])
if accuracy < 1.0:
    sys.exit(f"masked LM accuracy {accuracy} did not reach 1.0")
print("sample pretraining reached masked LM accuracy 1.0")
PY
