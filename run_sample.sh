#!/usr/bin/env bash
# The main job on the bundled sample: set up, tokenize, (pretrain, write a bundle).
# Usage: bash run_sample.sh [OUTPUT_DIR]   (default: output/sample)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
OUT="${1:-output/sample}"
mkdir -p "$OUT"
clue-tf --version

# Google-exact WordPiece, run inside the TensorFlow graph.
clue-tf tokenize --vocab_file=sample/vocab.txt --input_file=sample/sample_zh.txt \
  --output_file="$OUT/sample_zh.tokens.txt" --in_graph=true
echo "first line as tokens: $(head -n 1 "$OUT/sample_zh.tokens.txt")"

if clue-tf create_pretraining_data --input_file=/dev/null --output_file=/dev/null \
     --vocab_file=sample/vocab.txt 2>&1 | grep -q "is not implemented"; then
  echo "Pretraining on the sample (create_sample_zh.sh, then run_pretraining) is not in" \
       "clue-tf $(python -c 'import clue_tf; print(clue_tf.__version__)') yet; stopping here."
  exit 0
fi
bash create_sample_zh.sh "$OUT"
