"""The Keras tokenizer layer: in tf.data, tf.function and SavedModel; config; options."""

import numpy as np
import pytest
import tensorflow as tf
import keras
import keras_hub

from clue_tf.tokenization import BertTokenizer, FullTokenizer, load_vocab
from tests.helpers import shared_path

TEXTS = ["中国的首都是北京。", "ＡＢ！Hello, World", "", "Ωμέγα ΣΑΣ café", "x" * 201]


@pytest.fixture(scope="module")
def vocab_file():
    return str(shared_path("data/vocab/google_zh_vocab.txt"))


@pytest.fixture(scope="module")
def tokenizer(vocab_file):
    return BertTokenizer(vocab_file)


def python_ids(tokenizer, texts):
    return [tokenizer.full_tokenizer.encode(t) for t in texts]


def test_eager_call_runs_the_python_reference(tokenizer):
    assert [list(row) for row in tokenizer(TEXTS)] == python_ids(tokenizer, TEXTS)
    assert list(tokenizer(TEXTS[0])) == python_ids(tokenizer, TEXTS[:1])[0]


def test_tf_function_and_tf_data_give_the_same_ids(tokenizer):
    expected = python_ids(tokenizer, TEXTS)
    traced = tf.function(tokenizer.tokenize)(tf.constant(TEXTS))
    assert traced.to_list() == expected
    dataset = tf.data.Dataset.from_tensor_slices(TEXTS).map(tokenizer)
    assert [row.numpy().tolist() for row in dataset] == expected


def test_sequence_length_pads_and_cuts_in_both_paths(vocab_file):
    tokenizer = BertTokenizer(vocab_file, sequence_length=4)
    eager = np.asarray(tokenizer(TEXTS[:3]))
    graph = tf.function(tokenizer.tokenize)(tf.constant(TEXTS[:3])).numpy()
    np.testing.assert_array_equal(eager, graph)
    assert graph.shape == (3, 4) and graph[2].tolist() == [0, 0, 0, 0]


def test_saved_model_reloads_and_tokenizes_without_python_objects(tokenizer, tmp_path):
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(
        lambda texts: tokenizer.tokenize(texts).to_tensor(),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path / "saved"))
    restored = tf.saved_model.load(str(tmp_path / "saved"))
    ids = restored.tokenize(tf.constant(TEXTS)).numpy()
    expected = python_ids(tokenizer, TEXTS)
    for row, want in zip(ids, expected):
        assert row[: len(want)].tolist() == want and not row[len(want):].any()


def test_config_round_trip(vocab_file):
    tokenizer = BertTokenizer(vocab_file, do_lower_case=False, keep_special_tokens=True,
                              special_tokens=["[MASK]"], sequence_length=8)
    config = tokenizer.get_config()
    assert config["do_lower_case"] is False and config["keep_special_tokens"] is True
    clone = BertTokenizer.from_config(config)
    clone.set_vocabulary(vocab_file)
    assert np.asarray(clone(TEXTS)).tolist() == np.asarray(tokenizer(TEXTS)).tolist()


def test_preset_files_round_trip_keeps_the_vocab(tokenizer, tmp_path):
    tokenizer.save_to_preset(str(tmp_path))
    config = (tmp_path / "tokenizer.json").read_text(encoding="utf-8")
    restored = keras.saving.deserialize_keras_object(__import__("json").loads(config))
    restored.load_preset_assets(str(tmp_path))
    assert isinstance(restored, BertTokenizer) and restored.vocabulary_size() == 21128
    assert [list(r) for r in restored(TEXTS)] == python_ids(tokenizer, TEXTS)


def test_works_with_keras_hub_packer_for_pair_inputs(tokenizer):
    packer = keras_hub.layers.MultiSegmentPacker(
        sequence_length=12, start_value=tokenizer.cls_token_id,
        end_value=tokenizer.sep_token_id, pad_value=tokenizer.pad_token_id,
    )
    token_ids, segment_ids = packer((tokenizer(["今天天气很好"]), tokenizer(["是的"])))
    assert np.asarray(token_ids)[0].tolist() == [101, 791, 1921, 1921, 3698, 2523, 1962, 102, 3221, 4638, 102, 0]
    assert np.asarray(segment_ids)[0].tolist() == [0] * 8 + [1] * 3 + [0]


def test_keep_special_tokens_keeps_mask_and_sentinels_in_both_paths(tmp_path):
    vocab_path = shared_path("data/vocab/google_zh_with_sentinel_vocab.txt")
    texts = ["中国的首都是[MASK]京。", "今天<extra_id_0>很好<extra_id_1>", "[mask] 不是 [MASK]", "[UNK][CLS]x"]
    plain = BertTokenizer(str(vocab_path))
    kept = BertTokenizer(str(vocab_path), keep_special_tokens=True)
    vocab = load_vocab(vocab_path)
    eager = [list(r) for r in kept(texts)]
    assert eager == tf.function(kept.tokenize)(tf.constant(texts)).to_list()
    assert vocab.ids["[MASK]"] in eager[0] and vocab.ids["[MASK]"] not in list(plain(texts[0]))
    assert [vocab.ids["<extra_id_0>"], vocab.ids["<extra_id_1>"]] == [i for i in eager[1] if i >= 21128]
    assert eager[2].count(vocab.ids["[MASK]"]) == 1  # case-sensitive: [mask] is plain text
    assert eager[3] == [vocab.ids["[UNK]"], vocab.ids["[CLS]"], vocab.ids["x"]]


def test_duplicate_vocab_lines_use_the_later_id_in_both_paths(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "中", "", "国", "中"]) + "\n",
                    encoding="utf-8")
    tokenizer = BertTokenizer(str(path))
    assert list(tokenizer("中国")) == [8, 7]
    assert tf.function(tokenizer.tokenize)(tf.constant(["中国"])).to_list() == [[8, 7]]


def test_words_longer_than_200_characters_are_unk_in_graph(tokenizer):
    ids = tf.function(tokenizer.tokenize)(tf.constant(["a" * 200, "a" * 201])).to_list()
    assert ids[0] != [100] and ids[1] == [100]


def test_keras_hub_own_wordpiece_differs_on_full_width_text(vocab_file, tokenizer):
    """Why this layer exists: keras-hub's BertTokenizer folds ！ to ! when lower-casing."""
    theirs = keras_hub.models.BertTokenizer(vocabulary=vocab_file, lowercase=True)
    assert list(theirs("！")) != list(tokenizer("！"))
    assert list(tokenizer("！")) == FullTokenizer(vocab_file).encode("！")
