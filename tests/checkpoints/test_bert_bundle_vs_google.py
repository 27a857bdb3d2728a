"""Original BERT bundles against Google's own code (bert-tensorflow 1.0.4, subprocess).

Google's modeling.py + run_pretraining.py heads, random weights, Saver checkpoint ->
we load it and match every output; we write a bundle -> Google's Saver restores it with
no variable left uninitialized and gives the same outputs; read -> write -> read is
bit-identical.
"""

import json
import logging

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.models.bert.family import BERT
from clue_tf.errors import CheckpointError, ConfigError, VocabError
from tests.checkpoints.google_models import CONFIGS, google_bundle, google_model_outputs
from tests.helpers import shared_path


def our_outputs(model, inputs) -> dict:
    out = model({
        "token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"],
        "padding_mask": inputs["input_mask"], "masked_lm_positions": inputs["masked_lm_positions"],
    })
    encoder = model.get_layer("bert_encoder")(
        {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"],
         "padding_mask": inputs["input_mask"]})
    mlm = np.asarray(out["masked_lm_logits"])
    return {
        "encoder_outputs": np.stack([np.asarray(t) for t in encoder["encoder_outputs"]]),
        "pooled_output": np.asarray(encoder["pooled_output"]),
        "masked_lm_log_probs": np.asarray(tf.nn.log_softmax(mlm.reshape(-1, mlm.shape[-1]))),
        "next_sentence_log_probs": np.asarray(tf.nn.log_softmax(out["next_sentence_logits"])),
    }


def assert_outputs_match(ours: dict, google: dict) -> None:
    for key in ("encoder_outputs", "pooled_output", "masked_lm_log_probs", "next_sentence_log_probs"):
        np.testing.assert_allclose(ours[key], google[key], atol=1e-5, rtol=0, err_msg=key)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bundle_from_google_checkpoint_matches_google_modeling_py(tmp_path, name):
    bundle, google, inputs = google_bundle(tmp_path / "google", CONFIGS[name])
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    assert loaded.report.left_initial == []
    assert_outputs_match(our_outputs(loaded.model, inputs), google)


@pytest.mark.parametrize("name", ["tiny_type2", "h312_heads12"])
def test_bundle_we_write_restores_in_google_saver_with_same_outputs(tmp_path, name):
    bundle, google, inputs = google_bundle(tmp_path / "google", CONFIGS[name])
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    ours_dir = tmp_path / "ours"
    write(str(ours_dir), loaded.model, BERT, loaded.config, loaded.files.vocab_file)
    restored = google_model_outputs(tmp_path / "restored", CONFIGS[name], inputs,
                                    checkpoint=str(ours_dir / "bert_model.ckpt"))
    assert_outputs_match(our_outputs(loaded.model, inputs), restored)
    assert sorted(restored["variables"]) == sorted(google["variables"])


def test_read_write_read_is_bit_identical(tmp_path):
    bundle, _, _ = google_bundle(tmp_path / "google", CONFIGS["type16_relu"])
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    write(str(tmp_path / "ours"), loaded.model, BERT, loaded.config, loaded.files.vocab_file)
    theirs = tf.train.load_checkpoint(str(bundle / "bert_model.ckpt"))
    ours = tf.train.load_checkpoint(str(tmp_path / "ours" / "bert_model.ckpt"))
    their_names = theirs.get_variable_to_dtype_map()
    assert ours.get_variable_to_dtype_map() == their_names
    for name in their_names:
        assert np.array_equal(ours.get_tensor(name), theirs.get_tensor(name)), name
    assert json.loads((tmp_path / "ours" / "bert_config.json").read_text())["hidden_act"] == "relu"


def test_config_disagreeing_with_checkpoint_names_variable_and_shapes(tmp_path):
    bundle, _, _ = google_bundle(tmp_path, CONFIGS["tiny_type2"])
    config = json.loads((bundle / "bert_config.json").read_text())
    (bundle / "bert_config.json").write_text(json.dumps(dict(config, intermediate_size=40)))
    with pytest.raises(CheckpointError, match=r"weight bert/encoder/layer_0/intermediate/dense/kernel "
                                              r"has shape \[32, 37\], config expects \[32, 40\]"):
        load(locate(str(bundle)))


def test_wrong_vocab_size_in_config_is_a_warning_and_the_checkpoint_decides(tmp_path, caplog):
    bundle, _, _ = google_bundle(tmp_path, CONFIGS["tiny_type2"])
    config = json.loads((bundle / "bert_config.json").read_text())
    (bundle / "bert_config.json").write_text(json.dumps(dict(config, vocab_size=21128)))
    with caplog.at_level(logging.WARNING):
        loaded = load(locate(str(bundle)))
    assert loaded.config.vocab_size == 99
    assert "vocab_size is 21128 but the checkpoint's bert/embeddings/word_embeddings has 99 rows" in caplog.text


def test_vocab_with_other_line_count_than_embedding_rows_is_an_error(tmp_path):
    bundle, _, _ = google_bundle(tmp_path, CONFIGS["tiny_type2"])
    with open(bundle / "vocab.txt", "a", encoding="utf-8") as f:
        f.write("extra\n")
    with pytest.raises(VocabError, match=r"vocab\.txt: 100 lines, but the model's word embeddings have 99 rows"):
        load(locate(str(bundle)))


def test_non_json_config_is_a_one_line_error(tmp_path):
    bundle, _, _ = google_bundle(tmp_path, CONFIGS["tiny_type2"])
    (bundle / "bert_config.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"bert_config\.json: not a JSON config"):
        load(locate(str(bundle)))


def test_missing_index_and_truncated_data_are_one_line_errors(tmp_path):
    bundle, _, _ = google_bundle(tmp_path, CONFIGS["tiny_type2"])
    with pytest.raises(CheckpointError, match="nothing.index: checkpoint index not found"):
        locate(str(bundle), weights=str(tmp_path / "nothing.index"))
    data = bundle / "bert_model.ckpt.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="bert_model.ckpt.*truncated"):
        load(locate(str(bundle)))


def test_checkpoint_prefix_index_path_and_release_folder_layouts_resolve(tmp_path):
    bundle, _, _ = google_bundle(tmp_path / "release" / "RoBERTa-tiny-clue", CONFIGS["tiny_type2"])
    (bundle / "bert_config.json").rename(bundle / "bert_config_large.json")  # brightmart's name
    by_release = locate(str(tmp_path / "release"))
    by_index = locate(config_file=by_release.config_file, vocab_file=by_release.vocab_file,
                      weights=str(bundle / "bert_model.ckpt.index"))
    assert by_release.weights == by_index.weights == str(bundle / "bert_model.ckpt")
    assert by_release.config_file.endswith("bert_config_large.json")


def test_failed_write_keeps_the_earlier_bundle_and_leaves_nothing_behind(tmp_path):
    bundle, _, _ = google_bundle(tmp_path / "google", CONFIGS["tiny_type2"])
    loaded = load(locate(str(bundle)))
    target = tmp_path / "out"
    write(str(target), loaded.model, BERT, loaded.config, loaded.files.vocab_file)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(FileNotFoundError):  # the vocab copy fails after the weights are written
        write(str(target), loaded.model, BERT, loaded.config, str(tmp_path / "missing_vocab.txt"))
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["google", "out"]


def test_legacy_tf1_training_checkpoint_loads_strictly_ignoring_adam_slots():
    bundle = shared_path("data/checkpoints/keras_bert_test")
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    names = tf.train.load_checkpoint(str(bundle / "bert_model.ckpt")).get_variable_to_shape_map()
    assert any(n.endswith("/adam_m") for n in names) and "global_step" in names
    model_names = [n for n in names if not n.endswith(("/adam_m", "/adam_v")) and n != "global_step"]
    assert sorted(loaded.report.loaded) == sorted(model_names)
