"""Features made inside tf.data by the in-graph tokenizer equal Google run_classifier's
(convert_single_example), for pairs (AFQMC, with truncation) and single texts (TNEWS)."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.tasks.classifier_data import encoded_rows
from clue_tf.tokenization.graph_encoding import truncated_pair_lengths
from clue_tf.tasks.clue import get_task, read_examples
from clue_tf.tokenization.bert_tokenizer import BertTokenizer
from tests.helpers import google_encode, shared_path


def google_truncation(a: int, b: int, budget: int) -> tuple[int, int]:
    while a + b > budget:
        if a > b:
            a -= 1
        else:
            b -= 1
    return a, b


def test_closed_form_truncation_equals_googles_loop():
    cases = list(itertools.product(range(30), range(30), (1, 4, 9, 20)))
    a, b, budget = (tf.constant(np.array(c), tf.int64) for c in zip(*cases))
    keep_a, keep_b = truncated_pair_lengths(a, b, budget)
    assert list(zip(keep_a.numpy().tolist(), keep_b.numpy().tolist())) == [google_truncation(*c) for c in cases]


@pytest.mark.parametrize("task_name, max_seq_length", [("afqmc", 24), ("tnews", 20), ("afqmc", 128)])
def test_in_graph_rows_equal_google_features(task_name, max_seq_length):
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    task = get_task(task_name)
    examples = read_examples(task, str(shared_path(f"data/clue/{task_name}_public/dev.json")), True)[:400]
    rows = encoded_rows(examples, BertTokenizer(str(vocab)), task, max_seq_length, batch_size=128)
    expected = google_encode([(e.text_a, e.text_b) for e in examples], vocab, max_seq_length)
    got = list(rows.rows.as_numpy_iterator())
    assert len(got) == len(expected)
    for (ids, segments, label), google, example in zip(got, expected, examples):
        length = sum(google["input_mask"])
        assert ids.tolist() == google["input_ids"][:length]
        assert segments.tolist() == google["segment_ids"][:length]
        assert task.labels[label] == example.label
