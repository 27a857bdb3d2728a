"""bert4keras 0.11.5's Tokenizer as Zhuiyi's word RoFormer uses it (`pre_tokenize` = jieba's
dictionary cut, no HMM) as a subprocess oracle.

Usage:
  python bert4keras_tokenize.py VOCAB TEXTS.json LOWER OUT.json
      TEXTS.json: a JSON list of strings; LOWER: 1 or 0; OUT.json: a list of token-id lists
      (without [CLS] / [SEP]; bert4keras keeps an unknown piece's text as a token, its id is [UNK]'s).

Needs bert4keras (installed --no-deps), tf-keras and jieba; TF_KERAS=1 and
TF_USE_LEGACY_KERAS=1 are set here, before TensorFlow is imported.
"""

import json
import os
import sys

os.environ.update(TF_KERAS="1", TF_USE_LEGACY_KERAS="1")


def main(vocab, texts_file, lower, out_file):
    import jieba
    from bert4keras.tokenizers import Tokenizer

    tokenizer = Tokenizer(vocab, do_lower_case=lower == "1", pre_tokenize=lambda s: jieba.cut(s, HMM=False))
    texts = json.load(open(texts_file, encoding="utf-8"))
    rows = [tokenizer.encode(text)[0][1:-1] for text in texts]
    json.dump(rows, open(out_file, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
