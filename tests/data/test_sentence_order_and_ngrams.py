"""ALBERT's pretraining data: sentence-order pairs and n-gram masking, checked by the
properties Google's ALBERT create_pretraining_data.py defines (shared/reference/albert_zh.md §6.1)."""

import random
from collections import Counter

import pytest

from clue_tf.data.pretraining import Sentence, create_masked_lm_predictions, create_training_instances
from clue_tf.tokenization.vocab import Vocab


def vocab_of(tokens: list) -> Vocab:
    return Vocab("<test>", list(tokens), {t: i for i, t in enumerate(tokens)})


def numbered_documents(count: int = 100, sentences: int = 8, words: int = 6) -> list:
    """Documents whose every token names its document, sentence and position (d3s2w1)."""
    return [[Sentence([f"d{d}s{s}w{w}" for w in range(words)], [False] * words) for s in range(sentences)]
            for d in range(count)]


def _position(token: str) -> tuple[int, int]:
    d, rest = token[1:].split("s")
    return int(d), int(rest.split("w")[0])


def test_sentence_order_pairs_are_in_order_swapped_or_from_another_document():
    documents = numbered_documents()
    vocab = vocab_of(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                     + sorted({t for d in documents for s in d for t in s.tokens}))
    instances = create_training_instances([list(d) for d in documents], vocab, random.Random(5), max_seq_length=40,
                                          dupe_factor=5, masked=False, sentence_order=True)
    kinds = Counter()
    for instance in instances:
        sep = instance.tokens.index("[SEP]")
        a, b = instance.tokens[1:sep], instance.tokens[sep + 1:-1]
        (doc_a, first_a), (_, last_a) = _position(a[0]), _position(a[-1])
        (doc_b, first_b), (_, last_b) = _position(b[0]), _position(b[-1])
        if doc_a != doc_b:
            kind = "random document"  # only a one-segment chunk takes B elsewhere (Google's ALBERT)
            assert instance.is_random_next and first_a == last_a
        elif instance.is_random_next:
            kind = "swapped"
            assert last_b < first_a  # B comes first in the text
        else:
            kind = "in order"
            assert last_a < first_b
        kinds[kind] += 1
    pairs = kinds["swapped"] + kinds["in order"]
    assert pairs > 300 and abs(kinds["swapped"] / pairs - 0.5) < 0.08  # 0.5 +- ~3 standard errors


def test_sentence_order_needs_pairs():
    with pytest.raises(Exception, match="sentence-order pairs need pairs"):
        create_training_instances(numbered_documents(2), vocab_of(["[CLS]", "[SEP]", "[MASK]"]),
                                  random.Random(0), next_sentence=False, sentence_order=True)


def test_ngram_masking_masks_spans_with_shorter_ones_favoured():
    tokens = ["[CLS]", *[f"t{i}" for i in range(200)], "[SEP]"]
    vocab_words = list(tokens)
    lengths = Counter()
    rng = random.Random(11)
    for _ in range(300):
        _, positions, _ = create_masked_lm_predictions(tokens, [False] * len(tokens), 0.15, 30, vocab_words,
                                                       rng, ngram=3)
        assert len(positions) <= 30 and 0 not in positions and len(tokens) - 1 not in positions
        run = 1
        for previous, current in zip(positions, positions[1:] + [None]):
            if current is not None and current == previous + 1:
                run += 1
            else:
                lengths[run] += 1
                run = 1
    # Adjacent spans can merge into longer runs, so compare single tokens against 2- and 3-runs:
    # p(1) = 6/11 is the largest share under p(n) ~ 1/n; runs of up to 3 dominate.
    total = sum(lengths.values())
    assert lengths[1] > lengths[2] > lengths[3] > 0
    assert sum(v for k, v in lengths.items() if k <= 3) / total > 0.9


def test_ngram_one_is_bert_masking_draw_for_draw():
    tokens = ["[CLS]", *[f"t{i}" for i in range(50)], "[SEP]"]
    flags = [False] * len(tokens)
    assert (create_masked_lm_predictions(tokens, flags, 0.15, 20, tokens, random.Random(3)) ==
            create_masked_lm_predictions(tokens, flags, 0.15, 20, tokens, random.Random(3), ngram=1))
