"""Instance creation: whole-word masking, MLM-only packing, dynamic masks, bad input."""

import random

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.cli import run_command
from clue_tf.data.pretraining import create_masked_lm_predictions, create_training_instances, read_documents
from clue_tf.data.tfrecords import dynamic_mask
from clue_tf.tokenization import load_vocab
from tests.helpers import PROJECT_ROOT

SAMPLE_TEXT = PROJECT_ROOT / "sample" / "sample_zh.txt"
SAMPLE_VOCAB = PROJECT_ROOT / "sample" / "vocab.txt"


@pytest.fixture(scope="module")
def vocab():
    return load_vocab(SAMPLE_VOCAB)


def test_jieba_words_become_whole_word_groups(vocab):
    documents = read_documents([str(SAMPLE_TEXT)], vocab, whole_word_mask=True)
    sentence = next(s for d in documents for s in d if "西" in s.tokens and "柿" in s.tokens)
    start = sentence.tokens.index("西")
    assert sentence.tokens[start:start + 3] == ["西", "红", "柿"]
    assert sentence.continues_word[start:start + 3] == [False, True, True]
    plain = read_documents([str(SAMPLE_TEXT)], vocab, whole_word_mask=False)
    assert [s.tokens for d in plain for s in d] == [s.tokens for d in documents for s in d]


def test_whole_word_masking_masks_all_characters_of_a_word_or_none(vocab):
    documents = read_documents([str(SAMPLE_TEXT)], vocab, whole_word_mask=True)
    rng = random.Random(3)
    checked = 0
    for document in documents:
        for sentence in document:
            tokens = ["[CLS]", *sentence.tokens, "[SEP]"]
            flags = [False, *sentence.continues_word, False]
            _, positions, _ = create_masked_lm_predictions(tokens, flags, 0.3, 20, list(vocab.ids), rng, True)
            words, current = [], []
            for i in range(1, len(tokens) - 1):
                if not flags[i] and current:
                    words.append(current)
                    current = []
                current.append(i)
            words.append(current)
            for word in words:
                masked = [i in positions for i in word]
                assert all(masked) or not any(masked), (tokens, word, positions)
                checked += len(word) > 1 and all(masked)
    assert checked > 10  # multi-character words really were masked together


def test_mlm_only_instances_pack_whole_sentences_in_one_segment(vocab):
    documents = read_documents([str(SAMPLE_TEXT)], vocab)
    instances = create_training_instances(documents, vocab, random.Random(1), max_seq_length=40,
                                          dupe_factor=1, next_sentence=False, masked=False)
    assert instances and all(set(i.segment_ids) == {0} and not i.is_random_next for i in instances)
    assert all(len(i.tokens) <= 40 and i.tokens[0] == "[CLS]" and i.tokens[-1] == "[SEP]" for i in instances)
    assert all(not i.masked_lm_positions for i in instances)


def test_dynamic_masks_are_deterministic_per_batch_and_follow_the_rules():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 400, (64, 32)).astype(np.int32)
    ids[:, 0], ids[:, 20] = 2, 3  # [CLS] ... [SEP], then padding
    ids[:, 21:] = 0
    mask = (ids != 0).astype(np.int32)
    features = {"input_ids": tf.constant(ids), "input_mask": tf.constant(mask)}
    a = dynamic_mask(features, 445, 4, [2, 3, 0], 5, seed=[7, 1])
    b = dynamic_mask(features, 445, 4, [2, 3, 0], 5, seed=[7, 1])
    c = dynamic_mask(features, 445, 4, [2, 3, 0], 5, seed=[7, 2])
    assert np.array_equal(a["input_ids"], b["input_ids"]) and not np.array_equal(a["input_ids"], c["input_ids"])
    positions, weights = a["masked_lm_positions"].numpy(), a["masked_lm_weights"].numpy()
    assert (weights.sum(1) == 3).all()  # round(19 real tokens * 0.15) = 3
    chosen = positions[weights > 0].reshape(64, 3)
    assert ((chosen >= 1) & (chosen <= 19)).all()  # never [CLS], [SEP] or padding
    labels = np.take_along_axis(ids, chosen, 1)
    assert np.array_equal(a["masked_lm_ids"].numpy()[weights > 0].reshape(64, 3), labels)
    new = np.take_along_axis(a["input_ids"].numpy(), chosen, 1)
    share_masked = (new == 4).mean()
    assert 0.7 < share_masked < 0.9


def write(tmp_path, text, name="in.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, args, message", [
    ("\n\n", [], "no text"),
    ("只有一句话。\n", [], "need at least two sentences"),
    ("第一句。\n第二句。\n", ["--max_seq_length=4"], "max_seq_length 4 is too small"),
])
def test_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path, capsys, text, args, message):
    source = write(tmp_path, text)
    out = tmp_path / "out.tfrecord"
    code = run_command("create_pretraining_data", [f"--input_file={source}", f"--output_file={out}",
                                                   f"--vocab_file={SAMPLE_VOCAB}", *args])
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_vocab_without_mask_token_is_named(tmp_path, capsys):
    vocab = write(tmp_path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n中\n", "vocab.txt")
    source = write(tmp_path, "中。\n\n中。\n")
    assert run_command("create_pretraining_data", [f"--input_file={source}", f"--output_file={tmp_path}/o",
                                                   f"--vocab_file={vocab}"]) == 1
    assert "vocab.txt: vocab lacks required token(s) [MASK]" in capsys.readouterr().err


def test_missing_input_pattern_is_named(tmp_path, capsys):
    assert run_command("create_pretraining_data", [f"--input_file={tmp_path}/none*.txt",
                                                   f"--output_file={tmp_path}/o", f"--vocab_file={SAMPLE_VOCAB}"]) == 1
    assert "none*.txt: no input file matches" in capsys.readouterr().err
