"""create_pretraining_data lines/s: ours vs Google's create_pretraining_data.py, one run.

  python benchmarks/pretraining_data_throughput.py [--dupe_factor=2] [--shared_dir=../shared]

Both read the CLUECorpusSmall sample (20,641 lines) with Google's Chinese vocab and the
same seed, and write one TFRecord file; each side's time excludes interpreter start-up
and imports. The two outputs are compared Example by Example.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOOGLE_TIMED = r"""
import random, sys, time
sys.path.insert(0, {root!r})
from tests.oracles.google_bert import install_tf1_shims
tf = install_tf1_shims()
from absl import flags
from bert import create_pretraining_data as cpd, tokenization
flags.FLAGS.mark_as_parsed()
tf.python_io = getattr(tf, "python_io", tf.io)
tf.logging.set_verbosity(tf.logging.ERROR)
start = time.perf_counter()
tokenizer = tokenization.FullTokenizer({vocab!r}, do_lower_case=True)
instances = cpd.create_training_instances([{corpus!r}], tokenizer, 128, {dupe}, 0.1, 0.15, 20, random.Random(12345))
cpd.write_instance_to_example_files(instances, tokenizer, 128, 20, [{output!r}])
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dupe_factor", type=int, default=2)
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    shared = Path(args.shared_dir)
    corpus = str(shared / "data" / "corpora" / "cluecorpussmall_bert_sampled.txt")
    vocab_file = str(shared / "data" / "vocab" / "google_zh_vocab.txt")
    lines = sum(1 for _ in open(corpus, encoding="utf-8"))
    tmp = tempfile.mkdtemp()
    google_out, ours_out = os.path.join(tmp, "google.tfrecord"), os.path.join(tmp, "ours.tfrecord")

    script = GOOGLE_TIMED.format(root=str(ROOT), vocab=vocab_file, corpus=corpus, dupe=args.dupe_factor,
                                 output=google_out)
    google = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    google_seconds = float(google.stdout.strip().splitlines()[-1])

    import tensorflow as tf

    from clue_tf.data.create_pretraining_data import create_pretraining_data

    start = time.perf_counter()
    create_pretraining_data([corpus], [ours_out], vocab_file, random_seed=12345, dupe_factor=args.dupe_factor)
    ours_seconds = time.perf_counter() - start

    # Equal Examples can serialize their feature maps in different orders, so compare protos.
    same = all(tf.train.Example.FromString(a) == tf.train.Example.FromString(b)
               for a, b in zip(tf.data.TFRecordDataset(google_out).as_numpy_iterator(),
                               tf.data.TFRecordDataset(ours_out).as_numpy_iterator()))
    print(f"{lines} lines, dupe_factor {args.dupe_factor}, max_seq_length 128")
    print(f"Google create_pretraining_data.py: {google_seconds:7.1f} s  {lines / google_seconds:8.0f} lines/s")
    print(f"clue-tf create_pretraining_data:   {ours_seconds:7.1f} s  {lines / ours_seconds:8.0f} lines/s")
    print(f"speed-up {google_seconds / ours_seconds:.1f}x; identical Examples: {same}")


if __name__ == "__main__":
    main()
