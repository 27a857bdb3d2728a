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

# Next, once pretraining is in the package: bash create_sample_zh.sh "$OUT", then
# clue-tf run_pretraining on it until masked-LM accuracy reaches 1.0, writing a bundle.
echo "clue-tf $(python -c 'import clue_tf; print(clue_tf.__version__)') has no pretraining yet;" \
     "the sample job ends after tokenization."
