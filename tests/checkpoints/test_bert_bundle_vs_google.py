"""Original BERT checkpoints: what Google's modeling.py writes, our encoder reads and matches.

Google's `modeling.py` (PyPI bert-tensorflow 1.0.4) runs in a subprocess in TF1 graph
mode with random weights; we load its Saver checkpoint and compare every layer.
"""

import importlib.util
import json
import os

import numpy as np
import pytest

from clue_tf.checkpoints.bundle import load_encoder_checkpoint
from clue_tf.errors import CheckpointError
from clue_tf.models.bert import BertEncoder
from clue_tf.models.bert_config import BertConfig
from tests.helpers import finish_oracle, start_oracle, shared_path

CONFIGS = {
    "tiny_type2": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=37, type_vocab_size=2, max_position_embeddings=64),
    "h312_heads12": dict(vocab_size=120, hidden_size=312, num_hidden_layers=2,
                         num_attention_heads=12, intermediate_size=1248, type_vocab_size=2,
                         max_position_embeddings=40),
    "type16_relu": dict(vocab_size=50, hidden_size=24, num_hidden_layers=3, num_attention_heads=3,
                        intermediate_size=48, type_vocab_size=16, hidden_act="relu",
                        max_position_embeddings=32),
}


def google_model_outputs(tmp_path, config: dict, seed: int = 7, checkpoint=None):
    """Runs Google's BertModel; returns (outputs, inputs, checkpoint prefix)."""
    for module, why in (("bert", "bert-tensorflow==1.0.4"), ("tf_keras", "tf-keras, for tf.compat.v1.layers")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs {why} (test extra)")
    rng = np.random.default_rng(seed)
    batch, length = 3, 11
    inputs = {
        "input_ids": rng.integers(0, config["vocab_size"], (batch, length)).astype(np.int32),
        "segment_ids": rng.integers(0, min(2, config["type_vocab_size"]), (batch, length)).astype(np.int32),
        "input_mask": np.ones((batch, length), np.int32),
        "seed": np.array(seed),
    }
    inputs["input_mask"][1, 6:] = 0
    inputs["input_mask"][2, 2:] = 0
    (tmp_path / "bert_config.json").write_text(json.dumps(config))
    np.savez(tmp_path / "inputs.npz", **inputs)
    env_args = [str(tmp_path / "bert_config.json"), str(tmp_path / "inputs.npz"), str(tmp_path)]
    proc = start_oracle("google_bert.py", "model", *env_args, *([checkpoint] if checkpoint else []),
                        env={"TF_USE_LEGACY_KERAS": "1"})
    finish_oracle(proc)
    return dict(np.load(tmp_path / "outputs.npz")), inputs, str(tmp_path / "bert_model.ckpt")


def our_outputs(encoder, inputs):
    out = encoder({"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"],
                   "padding_mask": inputs["input_mask"]})
    return {k: (np.stack([np.asarray(t) for t in v]) if isinstance(v, list) else np.asarray(v))
            for k, v in out.items()}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_encoder_loaded_from_google_checkpoint_matches_google_modeling_py(tmp_path, name):
    config = CONFIGS[name]
    google, inputs, checkpoint = google_model_outputs(tmp_path, config)
    encoder = BertEncoder.from_bert_config(BertConfig.from_dict(config))
    report = load_encoder_checkpoint(encoder, checkpoint)
    assert not report.left_initial
    ours = our_outputs(encoder, inputs)
    np.testing.assert_allclose(ours["encoder_outputs"], google["encoder_outputs"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours["sequence_output"], google["encoder_outputs"][-1], atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours["pooled_output"], google["pooled_output"], atol=1e-5, rtol=0)


def test_config_disagreeing_with_checkpoint_names_variable_and_shapes(tmp_path):
    _, _, checkpoint = google_model_outputs(tmp_path, CONFIGS["tiny_type2"])
    wrong = dict(CONFIGS["tiny_type2"], intermediate_size=40)
    encoder = BertEncoder.from_bert_config(BertConfig.from_dict(wrong))
    with pytest.raises(CheckpointError, match=r"variable bert/encoder/layer_0/intermediate/dense/kernel "
                                              r"has shape \[32, 37\], config expects \[32, 40\]"):
        load_encoder_checkpoint(encoder, checkpoint)


def test_missing_index_and_truncated_data_are_one_line_errors(tmp_path):
    _, _, checkpoint = google_model_outputs(tmp_path, CONFIGS["tiny_type2"])
    encoder = BertEncoder.from_bert_config(BertConfig.from_dict(CONFIGS["tiny_type2"]))
    with pytest.raises(CheckpointError, match="nothing.index: checkpoint index not found"):
        load_encoder_checkpoint(encoder, str(tmp_path / "nothing"))
    data = checkpoint + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    with pytest.raises(CheckpointError, match="bert_model.ckpt"):
        load_encoder_checkpoint(encoder, checkpoint + ".index")


def test_legacy_tf1_training_checkpoint_loads_strictly_ignoring_adam_slots():
    bundle = shared_path("data/checkpoints/keras_bert_test")
    config = BertConfig.from_json_file(str(bundle / "bert_config.json"))
    encoder = BertEncoder.from_bert_config(config)
    report = load_encoder_checkpoint(encoder, str(bundle))  # a folder holding one checkpoint
    assert len(report.loaded) == 5 + 16 * config.num_hidden_layers + 2 - len(report.left_initial)
