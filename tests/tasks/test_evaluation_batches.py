"""Evaluation batches: rows sorted by length into full batches cut to a bucket length (or to
their longest row), put back in file order by the returned order; in-graph rows read into
memory unchanged."""

import numpy as np
import pytest

from clue_tf.tasks.classifier_data import (Features, bucket_lengths, encoded_rows, evaluation_dataset,
                                           in_memory)
from clue_tf.tasks.clue import get_task, read_examples
from clue_tf.tokenization.bert_tokenizer import BertTokenizer
from tests.helpers import google_encode, shared_path


def random_features(count: int, max_seq_length: int, seed: int = 0) -> Features:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, max_seq_length + 1, count)
    ids = [list(rng.integers(1, 21128, n)) for n in lengths]
    segments = [[0] * (n // 2) + [1] * (n - n // 2) for n in lengths]
    return Features(ids, segments, rng.integers(0, 15, count).astype(np.int32))


@pytest.mark.parametrize("bucket, exact", [(True, False), (True, True), (False, False)])
def test_batches_hold_every_row_once_padded_and_in_order(bucket, exact):
    features = random_features(203, 40)
    batches, order = evaluation_dataset(features, 16, bucket, 40, exact_lengths=exact)
    seen = []
    batches = list(batches.as_numpy_iterator())
    assert len(batches) == 13  # 12 full batches and one of 11
    for inputs, labels in batches:
        rows = len(labels)
        width = inputs["token_ids"].shape[1]
        assert exact or width in (bucket_lengths(40) if bucket else [40])
        for k in range(rows):
            index = order[len(seen)]
            length = len(features.input_ids[index])
            assert inputs["token_ids"][k, :length].tolist() == features.input_ids[index]
            assert inputs["segment_ids"][k, :length].tolist() == features.segment_ids[index]
            assert inputs["padding_mask"][k].tolist() == [1] * length + [0] * (width - length)
            assert not inputs["token_ids"][k, length:].any()
            assert labels[k] == features.labels[index]
            seen.append(index)
        longest = inputs["padding_mask"].sum(1).max()
        if exact:
            assert width == longest
        elif bucket:  # the bucket just above the batch's longest row
            assert width == min(b for b in bucket_lengths(40) if b >= longest)
    assert sorted(seen) == list(range(203))
    if not bucket:
        assert seen == list(range(203))


def test_sorted_batches_pad_less_than_fixed_padding():
    features = random_features(500, 128, seed=1)
    padded = {(bucket, exact): sum(x["token_ids"].size for x, _ in
                                   evaluation_dataset(features, 32, bucket, 128, exact)[0].as_numpy_iterator())
              for bucket, exact in ((True, False), (True, True), (False, False))}
    assert padded[False, False] == 500 * 128
    real = sum(len(ids) for ids in features.input_ids)
    assert padded[True, False] < 1.15 * real  # buckets are about an eighth apart above 64
    lengths = sorted(len(ids) for ids in features.input_ids)
    chunks = [lengths[i:i + 32] for i in range(0, 500, 32)]
    assert padded[True, True] == sum(len(chunk) * chunk[-1] for chunk in chunks) < padded[True, False]


def test_in_graph_rows_read_into_memory_equal_googles_features():
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    task = get_task("afqmc")
    examples = read_examples(task, str(shared_path("data/clue/afqmc_public/dev.json")), True)[:300]
    features = in_memory(encoded_rows(examples, BertTokenizer(str(vocab)), task, 48, batch_size=64))
    expected = google_encode([(e.text_a, e.text_b) for e in examples], vocab, 48)
    assert len(features.input_ids) == len(expected)
    for ids, segments, google in zip(features.input_ids, features.segment_ids, expected):
        length = sum(google["input_mask"])
        assert list(ids) == google["input_ids"][:length]
        assert list(segments) == google["segment_ids"][:length]
