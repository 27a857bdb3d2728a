"""Span corruption and gap-sentence generation on the real corpus sample: invariants that
define them (budget, merged runs, sentinel order, exact reconstruction of the text)."""

import random
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.data import seq2seq_pretraining as s2s
from clue_tf.data.create_pretraining_data import create_seq2seq_pretraining_data
from clue_tf.data.pretraining import read_documents
from clue_tf.tokenization.vocab import load_vocab
from tests.helpers import shared_path

CORPUS = "data/corpora/cluecorpussmall_bert_sampled.txt"
SENTINEL_VOCAB = "data/vocab/google_zh_with_sentinel_vocab.txt"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(vocab, tokenized documents, corpus path) for the first ~300 documents of the sample."""
    lines = shared_path(CORPUS).read_text(encoding="utf-8").splitlines()
    blank = [i for i, line in enumerate(lines) if not line.strip()]
    head = tmp_path_factory.mktemp("corpus") / "head.txt"
    head.write_text("\n".join(lines[: blank[min(300, len(blank) - 1)]]) + "\n", encoding="utf-8")
    vocab = load_vocab(str(shared_path(SENTINEL_VOCAB)))
    documents = [[s.tokens for s in d] for d in read_documents([str(head)], vocab)]
    return vocab, documents, head


def reconstruct(instance: s2s.Seq2SeqInstance, sentinels: set) -> list[str]:
    """Source with each sentinel replaced by the target's span after that sentinel."""
    spans, current = {}, None
    for token in instance.target[1:-1]:
        if token in sentinels:
            current = token
            spans[current] = []
        else:
            spans[current].append(token)
    return [t for token in instance.source for t in (spans[token] if token in sentinels else [token])]


@pytest.mark.parametrize("selection", ["uer", "google"])
def test_span_corruption_invariants(corpus, selection):
    vocab, documents, _ = corpus
    sentinel_list = s2s.sentinel_tokens(vocab)
    assert sentinel_list[0] == "<extra_id_0>" and vocab.ids[sentinel_list[0]] == 21128
    sentinels = set(sentinel_list)
    instances = list(s2s.span_corruption_instances(documents, vocab, 128, random.Random(1), selection=selection))
    originals = [["[CLS]", *chunk, "[SEP]"] for d in documents for chunk in s2s.pack_tokens(d, 126)]
    assert len(instances) == len(originals) > 200
    lengths = []
    for instance, original in zip(instances, originals):
        assert reconstruct(instance, sentinels) == original
        used = [t for t in instance.source if t in sentinels]
        assert used == sentinel_list[: len(used)]  # counting up from <extra_id_0>
        target_sentinels = [t for t in instance.target if t in sentinels]
        assert target_sentinels == sentinel_list[: len(used) + 1]  # plus the final unused one
        assert instance.target[0] == "[CLS]" and instance.target[-1] == "[SEP]"
        assert instance.source[0] == "[CLS]" and instance.source[-1] == "[SEP]"
        # runs are merged: no two sentinels side by side in the source
        assert all(not (a in sentinels and b in sentinels) for a, b in zip(instance.source, instance.source[1:]))
        noise = len(instance.target) - 2 - len(target_sentinels)
        non_special = len(original) - 2
        if selection == "uer":
            assert 1 <= noise <= max(1, round(0.15 * len(original)))
        else:
            assert noise == int(np.clip(round(non_special * 0.15), 1, non_special - 1))
        lengths.append(noise)
    assert np.mean(lengths) > 5  # real budgets, not single tokens


def test_uer_span_lengths_follow_the_truncated_geometric_distribution():
    rng = random.Random(0)
    counts = Counter(s2s.truncated_geometric_length(rng) for _ in range(20000))
    assert set(counts) == {1, 2, 3, 4, 5}
    mean = sum(k * c for k, c in counts.items()) / 20000
    assert abs(mean - 2.32) < 0.05  # the documented mean for p=0.3, max 5


@pytest.mark.parametrize("selection", ["lead", "random"])
def test_gap_sentence_invariants(corpus, selection):
    vocab, documents, _ = corpus
    instances = list(s2s.gap_sentence_instances(documents, 256, 128, random.Random(2), selection=selection))
    assert len(instances) > 50
    all_sentences = {tuple(s) for d in documents for s in d}
    for instance in instances:
        assert len(instance.source) <= 256 and len(instance.target) <= 128
        masks = instance.source.count("[MASK]")
        body = [t for t in instance.source[1:-1] if t != "[MASK]"]
        n_sentences = masks + _count_sentences(body, all_sentences)
        assert masks == max(1, round(0.3 * n_sentences))
        assert instance.source[-2] != "[MASK]"  # the last sentence is never chosen
        if selection == "lead":
            assert instance.source[1: 1 + masks] == ["[MASK]"] * masks


def _count_sentences(tokens: list[str], sentences: set) -> int:
    """How many known sentences `tokens` splits into (greedy, longest first)."""
    count, i = 0, 0
    lengths = sorted({len(s) for s in sentences}, reverse=True)
    while i < len(tokens):
        step = next(n for n in lengths if tuple(tokens[i: i + n]) in sentences)
        i += step
        count += 1
    return count


def test_records_round_trip(corpus, tmp_path):
    vocab, _, head = corpus
    out = tmp_path / "t5.tfrecord"
    count = create_seq2seq_pretraining_data([str(head)], [str(out)], str(shared_path(SENTINEL_VOCAB)),
                                            "span_corruption", max_seq_length=128, max_target_length=64)
    records = list(tf.data.TFRecordDataset(str(out)).batch(count))
    features = s2s.parse_seq2seq_examples(records[0], 128, 64)
    target = features["target_ids"].numpy()
    assert target.shape == (count, 64) and (target[:, 0] == 101).all()
    lengths = features["target_mask"].numpy().sum(1)
    assert (target[np.arange(count), lengths - 1] == 102).all()
    assert (features["input_ids"].numpy() >= 21128).any(1).all()  # every source has a sentinel
