"""Relative-position buckets against the published check values; sentinel tokenization and
HF-pipeline decoding on Google's vocab with sentinels."""

import numpy as np
import pytest
from keras_hub.src.models.t5.t5_multi_head_attention import T5MultiHeadAttention

from clue_tf.inference.text2text import Text2Text, decode_tokens
from clue_tf.models.pegasus.backbone import interleaved_sinusoid_table
from clue_tf.tokenization.vocab import load_vocab
from tests.helpers import shared_path

# relative position (key - query) -> bucket, from the T5 reference facts
ENCODER_BUCKETS = {-8: 8, -16: 10, -64: 14, -128: 15, 1: 17, 8: 24, 16: 26, 64: 30, 128: 31}
DECODER_BUCKETS = {-15: 15, -16: 16, -32: 21, -64: 26, -127: 31, 1: 0, 5: 0, 100: 0}


@pytest.mark.parametrize("bidirectional, expected", [(True, ENCODER_BUCKETS), (False, DECODER_BUCKETS)])
def test_relative_position_buckets_match_check_values(bidirectional, expected):
    relative = np.array(sorted(expected), dtype=np.int32)
    buckets = T5MultiHeadAttention._relative_position_bucket(
        relative, bidirectional=bidirectional, num_buckets=32, max_distance=128)
    assert dict(zip(relative.tolist(), np.asarray(buckets).tolist())) == expected


def test_position_table_is_interleaved_sin_cos():
    table = interleaved_sinusoid_table(16, 8)
    position, i = 5, 2  # columns 4 and 5
    angle = position * np.exp(-2 * i * np.log(10000.0) / 8)
    np.testing.assert_allclose(table[position, 2 * i], np.sin(angle), rtol=1e-6)
    np.testing.assert_allclose(table[position, 2 * i + 1], np.cos(angle), rtol=1e-6)
    np.testing.assert_array_equal(table[0, 1::2], 1.0)


@pytest.mark.parametrize("spelling", ["extra{}", "<extra_id_{}>"])
def test_sentinels_are_single_tokens_in_both_spellings(spelling, tmp_path):
    base = load_vocab(str(shared_path("data/vocab/google_zh_vocab.txt")))
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("".join(f"{t}\n" for t in base.lines + [spelling.format(i) for i in range(100)]),
                          encoding="utf-8")
    text2text = Text2Text(lm=None, config=None, vocab_file=str(vocab_file))
    ids = text2text.source_ids(f"中国的首都是{spelling.format(0)}京{spelling.format(1)}")
    assert ids[0] == 101 and ids[-1] == 102
    assert ids[-4] == 21128 and ids[-2] == 21129  # sentinels at Google's vocab size onward
    tokens = [text2text.vocab.lines[i] for i in ids]
    assert tokens[1:-1] == list("中国的首都是") + [spelling.format(0), "京", spelling.format(1)]


def test_shared_sentinel_vocab_ids():
    vocab = load_vocab(str(shared_path("data/vocab/google_zh_with_sentinel_vocab.txt")))
    assert vocab.ids["<extra_id_0>"] == 21128 and vocab.ids["<extra_id_99>"] == 21227


def test_decoding_drops_cls_sep_pad_keeps_sentinels_and_joins_pieces(tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    lines = ["[PAD]", "[CLS]", "[SEP]", "extra0", "北", "京", "##ing", "go", "extra1", "[UNK]", "[MASK]"]
    vocab_file.write_text("".join(f"{t}\n" for t in lines), encoding="utf-8")
    vocab = load_vocab(str(vocab_file))
    assert decode_tokens([1, 3, 4, 8, 7, 6, 2, 0, 0], vocab) == "extra0 北 extra1 going"
