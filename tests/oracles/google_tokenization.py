"""Google's original FullTokenizer (PyPI bert-tensorflow==1.0.4) as a subprocess oracle.

Usage: python google_tokenization.py VOCAB DO_LOWER_CASE IN.jsonl OUT.jsonl
Each input line is a JSON string; each output line is the JSON list of its tokens.
"""

import json
import sys


def load_google_tokenization():
    """Imports bert.tokenization under TF 2: alias tf.gfile and mark absl flags parsed."""
    import tensorflow.compat.v1 as tf
    from absl import flags

    tf.gfile = tf.io.gfile
    from bert import tokenization

    flags.FLAGS.mark_as_parsed()
    return tokenization


def main(vocab_file, do_lower_case, in_path, out_path):
    tokenization = load_google_tokenization()
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=do_lower_case == "true")
    with open(in_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for line in src:
            dst.write(json.dumps(tokenizer.tokenize(json.loads(line)), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
