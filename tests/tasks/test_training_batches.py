"""Training batches: repeated without end and always full (Google's repeat-then-batch), each
padded to a bucket length with bucketing or to max_seq_length without, rows intact, and every
row seen once a pass give or take the rows waiting in a bucket."""

import collections

import numpy as np
import pytest

from clue_tf.tasks.classifier_data import bucket_lengths, make_dataset
from tests.tasks.test_evaluation_batches import random_features


@pytest.mark.parametrize("bucket", [True, False])
def test_batches_are_full_padded_rows_repeated_pass_after_pass(bucket):
    rows, batch_size, max_seq_length, passes = 150, 16, 40, 4
    features = random_features(rows, max_seq_length)
    by_ids = {tuple(ids): (segments, label) for ids, segments, label in
              zip(features.input_ids, features.segment_ids, features.labels)}
    seen = collections.Counter()
    batches = make_dataset(features, batch_size, True, bucket, 1, max_seq_length)
    for inputs, labels in batches.take(passes * rows // batch_size).as_numpy_iterator():
        width = inputs["token_ids"].shape[1]
        widths = bucket_lengths(max_seq_length) if bucket else [max_seq_length]
        assert labels.shape == (batch_size,) and width in widths
        columns = inputs["token_ids"], inputs["segment_ids"], inputs["padding_mask"], labels
        for ids, segments, mask, label in zip(*columns):
            length = int(mask.sum())
            assert mask[:length].all() and not ids[length:].any() and not segments[length:].any()
            key = tuple(ids[:length])
            assert list(segments[:length]) == list(by_ids[key][0]) and label == by_ids[key][1]
            seen[key] += 1
    waiting = len(bucket_lengths(max_seq_length)) * batch_size if bucket else batch_size
    assert len(seen) == rows
    assert sum(abs(count - passes) for count in seen.values()) <= 2 * waiting
    assert max(seen.values()) <= passes + 1
