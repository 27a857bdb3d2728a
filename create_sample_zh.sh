#!/usr/bin/env bash
# Writes the sample pretraining TFRecords from sample/sample_zh.txt with sample/vocab.txt.
# Usage: bash create_sample_zh.sh [OUTPUT_DIR]   (default: output/sample)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
OUT="${1:-output/sample}"
mkdir -p "$OUT"
clue-tf create_pretraining_data \
  --input_file=sample/sample_zh.txt \
  --output_file="$OUT/sample_zh.tfrecord" \
  --vocab_file=sample/vocab.txt \
  --do_lower_case=true \
  --do_whole_word_mask=true \
  --max_seq_length=128 \
  --max_predictions_per_seq=20 \
  --masked_lm_prob=0.15 \
  --random_seed=12345 \
  --dupe_factor=5
