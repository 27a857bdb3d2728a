"""The family registry and config dialects: one lookup, activations kept across formats."""

import numpy as np
import pytest

from clue_tf.checkpoints.registry import load_registry
from clue_tf.errors import ConfigError
from clue_tf.families import FAMILY_NAMES, family_of_config, get_family
from clue_tf.models.bert.config import BertConfig


def test_unknown_family_is_one_error_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"unknown model family 'bret'.*did you mean bert\?"):
        get_family("bret")
    assert [get_family(n).name for n in FAMILY_NAMES] == list(FAMILY_NAMES)


@pytest.mark.parametrize("dialect, name, ours", [
    ("google", "gelu", "gelu_tanh"), ("hf", "gelu", "gelu_erf"), ("uer", "gelu", "gelu_erf"),
    ("hf", "gelu_new", "gelu_tanh"), ("uer", "gelu_fast", "gelu_tanh"), ("google", "relu", "relu")])
def test_each_dialect_reads_gelu_as_its_own_code_computes_it(dialect, name, ours):
    base = {"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 16, "hidden_act": name}
    if dialect == "uer":
        base = {"hidden_size": 8, "layers_num": 1, "heads_num": 2, "feedforward_size": 16, "hidden_act": name}
    config = BertConfig.from_dict(base, dialect=dialect)
    assert config.hidden_act == ours
    assert BertConfig.from_dict(config.to_dict(dialect), dialect=dialect).hidden_act == ours


def test_erf_and_tanh_gelu_really_differ_in_the_encoder():
    """The dialect matters: the same weights give other outputs under the other GELU."""
    import keras

    from clue_tf.models.bert.backbone import BertEncoder

    outputs = []
    for act in ("gelu_tanh", "gelu_erf"):
        keras.utils.set_random_seed(1)
        encoder = BertEncoder(vocabulary_size=20, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16,
                              hidden_act=act, max_sequence_length=8, initializer_range=1.0)
        ids = np.array([[1, 5, 7, 2]], np.int32)
        outputs.append(np.asarray(encoder({"token_ids": ids, "segment_ids": 0 * ids, "padding_mask": 1 + 0 * ids})
                                  ["sequence_output"]))
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-5


def test_configs_are_recognised_by_their_family_and_dialect():
    assert family_of_config({"model_type": "bert"}, "x")[1] == "hf"
    assert family_of_config({"layers_num": 2, "encoder": "transformer"}, "x")[1] == "uer"
    assert family_of_config({"num_hidden_layers": 2, "vocab_size": 3}, "x")[1] == "google"
    assert family_of_config({"model_type": "mt5"}, "x")[0].name == "t5"
    with pytest.raises(ConfigError, match="not a config of any known model family"):
        family_of_config({"model_type": "gpt2"}, "cfg.json")
    with pytest.raises(ConfigError, match=r"cfg: hidden_size is '128', expected int"):
        BertConfig.from_dict({"vocab_size": 3, "hidden_size": "128"}, source="cfg")


def test_every_uer_miniature_says_its_published_formats_and_how_to_load_it():
    uer = {n: e for n, e in load_registry().items() if n.startswith("uer/chinese_roberta")}
    assert len(uer) == 24
    for name, entry in uer.items():
        assert entry.published_formats == ["hf", "uer"], name
        assert "--bundle_dir" in entry.load_with and "--init_checkpoint" in entry.load_with
        assert entry.config.hidden_act == "gelu_erf"  # UER trained them with exact GELU
