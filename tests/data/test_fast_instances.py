"""The NumPy instance pieces of the fast path, each against the Python port of Google's
algorithm (whose records equal Google's, tests/data/test_pretraining_data_vs_google.py)."""

import collections
import json
import random

import numpy as np
import pytest

from clue_tf.data import fast_instances as fast
from clue_tf.data.corpus_documents import read_file_documents, split_sentences
from clue_tf.data.document_seeds import file_keys
from clue_tf.data.pretraining import _truncate_pair
from clue_tf.data.record_counts import instances_in

SPECIAL = fast.SpecialIds(cls=101, sep=102, mask=103, vocab_ids=np.arange(1000, 1100))


def test_truncation_removes_what_googles_truncate_seq_pair_removes():
    rng = random.Random(0)
    for _ in range(2000):
        len_a, len_b, limit = rng.randint(1, 150), rng.randint(1, 150), rng.randint(2, 130)
        a, b = (list(range(len_a)), [False] * len_a), (list(range(len_b)), [False] * len_b)
        _truncate_pair(a, b, limit, random.Random(1))
        assert fast._truncated_lengths(len_a, len_b, limit) == (len_a - len(a[0]), len_b - len(b[0]))


def test_a_side_keeps_a_contiguous_run_cut_at_both_ends_evenly():
    rng = np.random.default_rng(0)
    fronts = [int(fast._cut(np.arange(100), 40, rng)[0]) for _ in range(4000)]
    assert np.mean(fronts) == pytest.approx(20, abs=0.3)  # Binomial(40, 0.5): sd of the mean 0.05


def test_masking_counts_positions_and_replacements_follow_googles_rule():
    rng = np.random.default_rng(1)
    rows, width, max_predictions = 3000, 64, 10
    lengths = rng.integers(5, width + 1, rows)
    ids = np.zeros((rows, width), np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(2000, 3000, length)
        ids[row, [0, length // 2, length - 1]] = [101, 102, 102]
    original = ids.copy()
    draws = fast.mask_draws(rng, rows, width, max_predictions)
    positions, labels, weights = fast.mask_rows(ids, lengths, draws, SPECIAL, 0.15, max_predictions)
    kinds = collections.Counter()
    for row, length in enumerate(lengths):
        count = int(weights[row].sum())
        candidates = length - 3
        assert count == min(max_predictions, max(1, round(length * 0.15)), candidates)
        chosen = positions[row, :count]
        assert list(chosen) == sorted(set(chosen)) and all(0 < p < length for p in chosen)
        assert not set(chosen) & {0, length // 2, length - 1}
        assert list(labels[row, :count]) == list(original[row, chosen])
        unchanged = np.setdiff1d(np.arange(width), chosen)
        assert np.array_equal(ids[row, unchanged], original[row, unchanged])
        for new, old in zip(ids[row, chosen], original[row, chosen]):
            kinds["mask" if new == 103 else "kept" if new == old else "random"] += 1
            if new not in (103, old):
                assert 1000 <= new < 1100
    total = sum(kinds.values())
    assert kinds["mask"] / total == pytest.approx(0.8, abs=0.015)
    assert kinds["kept"] / total == pytest.approx(0.1, abs=0.01)
    assert kinds["random"] / total == pytest.approx(0.1, abs=0.01)


def test_assembled_rows_are_cls_a_sep_b_sep_with_segments():
    a, b = np.array([5, 6, 7]), np.array([8, 9])
    ids, segments, lengths = fast.assemble([(a, b), (a, None)], SPECIAL, 10)
    assert ids.tolist() == [[101, 5, 6, 7, 102, 8, 9, 102, 0, 0], [101, 5, 6, 7, 102, 0, 0, 0, 0, 0]]
    assert segments.tolist() == [[0, 0, 0, 0, 0, 1, 1, 1, 0, 0], [0] * 10]
    assert lengths.tolist() == [8, 5]


def test_pairs_follow_the_document_and_random_next_comes_from_another_document():
    documents = [[np.full(n, 10 * d + i) for i, n in enumerate((7, 9, 4, 12, 6))] for d in range(1, 4)]
    labels = collections.Counter()
    for seed in range(200):
        for a, b, label in fast.pair_instances(documents, 0, np.random.default_rng(seed), 32, 0.1):
            assert 2 <= len(a) + len(b) <= 29
            labels[label] += 1
            if label:
                assert b.min() >= 20  # another document's sentences
            else:
                assert a.max() < 20 and b.max() < 20 and a.max() <= b.min()  # A then B, in order
    assert labels[True] > 0.3 * sum(labels.values()) and labels[False] > 0.2 * sum(labels.values())


def test_document_lines_are_cut_into_sentences(tmp_path):
    assert split_sentences("他说：“你好！”然后走了。真的吗？是的") == ["他说：“你好！”", "然后走了。", "真的吗？", "是的"]
    path = tmp_path / "docs.txt"
    path.write_text("第一句。第二句！\n\n  \n只有一句\n", encoding="utf-8")
    assert list(read_file_documents(str(path), "documents")) == [["第一句。", "第二句！"], ["只有一句"]]
    path.write_text("a\nb\n\n\nc\n", encoding="utf-8")
    assert list(read_file_documents(str(path), "sentences")) == [["a", "b"], ["c"]]


def test_file_keys_are_paths_below_the_common_folder():
    assert file_keys(["/data/x/part-0.txt"]) == {"/data/x/part-0.txt": "part-0.txt"}
    assert file_keys(["/c/wiki/0.txt", "/c/news/0.txt"]) == {"/c/wiki/0.txt": "wiki/0.txt", "/c/news/0.txt": "news/0.txt"}
    assert file_keys(["gs://b/c/1.txt", "gs://b/c/2.txt"]) == {"gs://b/c/1.txt": "1.txt", "gs://b/c/2.txt": "2.txt"}


def test_epochs_are_known_only_for_whole_counted_sets(tmp_path):
    for name in ("r-00000-of-00002", "r-00001-of-00002", "other.tfrecord"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "r.counts.json").write_text(json.dumps(
        {"record_files": ["r-00000-of-00002", "r-00001-of-00002"], "counts": {"instances": 500}}))
    shards = [str(tmp_path / "r-00000-of-00002"), str(tmp_path / "r-00001-of-00002")]
    assert instances_in(shards) == 500
    assert instances_in(shards[:1]) is None  # half a set: its share is unknown
    assert instances_in([*shards, str(tmp_path / "other.tfrecord")]) is None
