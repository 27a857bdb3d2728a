"""TNEWS fine-tuning speed: length bucketing vs padding to 128, same model, one run.

  python benchmarks/classifier_bucketing.py [--examples=4096] [--shared_dir=../shared]

A randomly initialised RoBERTa-tiny-clue architecture (L4/H312, Google's Chinese vocab)
trains one epoch on the first --examples TNEWS training lines each way, then evaluates on
2,000 dev lines. Prints training examples/s and dev accuracy of both.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=4096)
    parser.add_argument("--shared_dir", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.bert.family import BERT
    from clue_tf.checkpoints.registry import registry_entry
    from clue_tf.models.bert.backbone import BertEncoder
    from clue_tf.tasks.classifier import ClassifierRun, ClassifierSettings

    shared = Path(args.shared_dir)
    tmp = Path(tempfile.mkdtemp())
    data = tmp / "tnews"
    data.mkdir()
    source = shared / "data" / "clue" / "tnews_public"
    lines = (source / "train.json").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "train.json").write_text("".join(lines[: args.examples]), encoding="utf-8")
    dev = (source / "dev.json").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "dev.json").write_text("".join(dev[:2000]), encoding="utf-8")
    config = registry_entry("roberta-tiny-clue").config
    config.vocab_size = 21128
    keras.utils.set_random_seed(0)
    write(str(tmp / "bundle"), BertEncoder.from_bert_config(config), BERT, config,
                      str(shared / "data" / "vocab" / "google_zh_vocab.txt"))

    print(f"TNEWS: {args.examples} training examples, 1 epoch, batch 32, max_seq_length 128")
    for bucket in (False, True):
        settings = ClassifierSettings(
            task_name="tnews", data_dir=str(data), output_dir=str(tmp / f"out-{bucket}"),
            bundle_dir=str(tmp / "bundle"), do_train=True, num_train_epochs=1, train_batch_size=32,
            eval_batch_size=64, learning_rate=1e-4, bucket_by_length=bucket, seed=1)
        run = ClassifierRun(settings)
        start = time.perf_counter()
        run.train()
        seconds = time.perf_counter() - start
        accuracy = run.evaluate()["eval_accuracy"]
        name = "length buckets" if bucket else "padded to 128"
        print(f"{name:15} {args.examples / seconds:8.1f} examples/s (train+dev per epoch: {seconds:5.1f} s)"
              f"  dev accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
