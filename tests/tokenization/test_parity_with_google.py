"""Token-for-token parity with Google's original FullTokenizer (bert-tensorflow 1.0.4).

Inputs: every text field of every CLUE file in ../shared (4 tasks, train/dev/test),
the CLUECorpusSmall sample, and a generated stress set; both casings. Expected: not a
single differing line, for the Python tokenizer and for the in-graph one.
"""

import pytest
import tensorflow as tf

from clue_tf.tokenization import BertTokenizer, FullTokenizer
from tests.helpers import clue_texts, google_encode, google_tokenize, shared_path
from tests.tokenization.stress_texts import every_code_point_texts, stress_texts

LOWER_CASES = (True, False)


@pytest.fixture(scope="module")
def vocab_file():
    return shared_path("data/vocab/google_zh_vocab.txt")


@pytest.fixture(scope="module")
def corpus_texts():
    """Distinct texts of the CLUE files, the corpus sample and the stress set."""
    texts = []
    for task_dir in sorted(shared_path("data/clue").iterdir()):
        texts.extend(clue_texts(task_dir))
    corpus = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt")
    texts.extend(corpus.read_text(encoding="utf-8").split("\n"))
    texts.extend(stress_texts())
    return list(dict.fromkeys(texts))


@pytest.fixture(scope="module")
def google_results(corpus_texts, vocab_file):
    return google_tokenize(corpus_texts, vocab_file, LOWER_CASES)


def graph_ids(tokenizer: BertTokenizer, texts: list[str]) -> list[list[int]]:
    """Ids from the in-graph path: batches through tf.data, as a training input would."""
    dataset = tf.data.Dataset.from_tensor_slices(texts).batch(2048).map(tokenizer)
    return [row for batch in dataset for row in batch.to_list()]


def assert_same(texts, expected, actual, what):
    mismatches = [(t, e, a) for t, e, a in zip(texts, expected, actual) if e != a]
    assert len(actual) == len(expected)
    assert not mismatches, (
        f"{len(mismatches)} of {len(texts)} lines differ from Google ({what}); first: "
        + "; ".join(f"{t!a}: google {e} ours {a}" for t, e, a in mismatches[:3])
    )


@pytest.mark.parametrize("do_lower_case", LOWER_CASES)
def test_python_tokenizer_matches_google_full_tokenizer(
    corpus_texts, google_results, vocab_file, do_lower_case
):
    tokenizer = FullTokenizer(str(vocab_file), do_lower_case=do_lower_case)
    expected = [r["tokens"] for r in google_results[do_lower_case]]
    assert_same(corpus_texts, expected, [tokenizer.tokenize(t) for t in corpus_texts], "python")


@pytest.mark.parametrize("do_lower_case", LOWER_CASES)
def test_in_graph_tokenizer_matches_google_full_tokenizer(
    corpus_texts, google_results, vocab_file, do_lower_case
):
    tokenizer = BertTokenizer(str(vocab_file), do_lower_case=do_lower_case)
    expected = [r["ids"] for r in google_results[do_lower_case]]
    assert_same(corpus_texts, expected, graph_ids(tokenizer, corpus_texts), "in-graph")


def test_parity_covers_the_full_width_forms_other_tokenizers_fold(google_results, corpus_texts):
    """Guards the test itself: the corpus holds the characters peers get wrong."""
    joined = "".join(corpus_texts)
    for char in "！，：（）？Ａ\u3000":
        assert char in joined


@pytest.mark.slow
@pytest.mark.parametrize("do_lower_case", LOWER_CASES)
def test_every_code_point_matches_google_full_tokenizer(vocab_file, do_lower_case):
    texts = every_code_point_texts()
    google = google_tokenize(texts, vocab_file, (do_lower_case,))[do_lower_case]
    tokenizer = BertTokenizer(str(vocab_file), do_lower_case=do_lower_case)
    python_tokens = [tokenizer.full_tokenizer.tokenize(t) for t in texts]
    assert_same(texts, [r["tokens"] for r in google], python_tokens, "python")
    assert_same(texts, [r["ids"] for r in google], graph_ids(tokenizer, texts), "in-graph")


def test_pair_encoding_matches_google_convert_single_example(vocab_file):
    """[CLS] a [SEP] b [SEP], segment ids, padding and Google's pair truncation."""
    from clue_tf.tokenization import encode_example

    afqmc = shared_path("data/clue/afqmc_public/dev.json")
    import json

    records = [json.loads(line) for line in afqmc.read_text(encoding="utf-8").splitlines()[:300]]
    pairs = [[r["sentence1"], r["sentence2"]] for r in records]
    pairs += [[r["sentence1"], None] for r in records[:50]]
    pairs += [["长" * 40, "短句"], ["短句", "长" * 40], ["一二三四五", "六七八九十"]]
    max_seq_length = 24  # short, so most pairs are truncated
    expected = google_encode(pairs, vocab_file, max_seq_length)
    tokenizer = FullTokenizer(str(vocab_file))
    for (text_a, text_b), want in zip(pairs, expected, strict=True):
        got = encode_example(tokenizer, text_a, text_b, max_seq_length)
        assert (got.input_ids, got.input_mask, got.segment_ids) == (
            want["input_ids"], want["input_mask"], want["segment_ids"]), (text_a, text_b)
