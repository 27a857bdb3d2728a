"""Pretraining TFRecords against Google's create_pretraining_data.py and run_pretraining.py."""

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.cli import run_command
from clue_tf.data.tfrecords import feature_spec, parse_examples
from tests.helpers import PROJECT_ROOT, finish_oracle, shared_path, start_oracle

MAX_SEQ, MAX_PRED = 64, 10


def read_all(path: str) -> list[dict]:
    spec = feature_spec(MAX_SEQ, MAX_PRED)
    return [{k: v.numpy().tolist() for k, v in tf.io.parse_single_example(r, spec).items()}
            for r in tf.data.TFRecordDataset(path)]


def corpus_excerpt(tmp_path, lines: int = 1500):
    """The first documents of the CLUECorpusSmall sample (blank line between documents)."""
    text = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt").read_text(encoding="utf-8")
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(text.split("\n")[:lines]) + "\n", encoding="utf-8")
    return path


def test_same_records_as_google_for_the_same_input_and_seed(tmp_path):
    pytest.importorskip("bert", reason="needs bert-tensorflow==1.0.4 (test extra)")
    corpus = corpus_excerpt(tmp_path)
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    google_out, ours_out = tmp_path / "google.tfrecord", tmp_path / "ours.tfrecord"
    finish_oracle(start_oracle("google_bert.py", "pretraining_data", str(corpus), str(vocab),
                               str(google_out), "7", str(MAX_SEQ), str(MAX_PRED), "2"))
    assert run_command("create_pretraining_data", [
        f"--input_file={corpus}", f"--output_file={ours_out}", f"--vocab_file={vocab}",
        "--random_seed=7", f"--max_seq_length={MAX_SEQ}", f"--max_predictions_per_seq={MAX_PRED}",
        "--dupe_factor=2", "--google_exact=true"]) == 0
    google, ours = read_all(str(google_out)), read_all(str(ours_out))
    assert len(ours) == len(google) > 100
    assert ours == google


def test_google_input_fn_reads_our_records_and_ours_reads_googles(tmp_path):
    pytest.importorskip("bert", reason="needs bert-tensorflow==1.0.4 (test extra)")
    ours = tmp_path / "ours.tfrecord"
    assert run_command("create_pretraining_data", [
        f"--input_file={PROJECT_ROOT / 'sample' / 'sample_zh.txt'}", f"--output_file={ours}",
        f"--vocab_file={PROJECT_ROOT / 'sample' / 'vocab.txt'}", f"--max_seq_length={MAX_SEQ}",
        f"--max_predictions_per_seq={MAX_PRED}", "--dupe_factor=3", "--do_whole_word_mask=true"]) == 0
    finish_oracle(start_oracle("google_bert.py", "read_records", str(ours), str(MAX_SEQ), str(MAX_PRED),
                               str(tmp_path / "read.npz")))
    theirs = np.load(tmp_path / "read.npz")
    records = list(tf.data.TFRecordDataset(str(ours)).batch(1000))[0]
    parsed = parse_examples(records, MAX_SEQ, MAX_PRED)
    assert set(theirs.files) == set(parsed)
    count = parsed["input_ids"].shape[0]
    for name in theirs.files:  # Google's input_fn repeats the data: compare the first pass
        np.testing.assert_array_equal(theirs[name][:count], parsed[name].numpy(), err_msg=name)
