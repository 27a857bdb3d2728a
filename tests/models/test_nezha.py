"""NEZHA against bert4keras 0.11.5 `model="nezha"` (transformers 5 has no NEZHA), on a bundle
in Huawei's TF1 layout: every layer and the MLM logits, at a length past the clip distance
64 so that clipping is exercised. Huawei's config: `use_relative_position: true`, no
`max_relative_position` (its modeling.py fixes 64), Google's tanh "gelu"."""

import json

import keras
import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.errors import ConfigError
from clue_tf.models.nezha.config import NezhaConfig
from clue_tf.models.nezha.family import NEZHA
from tests.checkpoints import hf_bert
from tests.helpers import perturbed
from tests.models.hf_encoders import assert_first_token_equal, write_vocab
from tests.models.bert4keras_oracle import bert4keras_outputs, padded_inputs, require_bert4keras

VOCAB = hf_bert.VOCAB
CONFIG = NezhaConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=512, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)


@pytest.fixture(scope="module")
def huawei_bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nezha")
    keras.utils.set_random_seed(3)
    model = perturbed(NEZHA.build(CONFIG, ("masked_lm", "next_sentence")), seed=3)
    write_vocab(tmp)
    write(str(tmp / "bundle"), model, NEZHA, CONFIG, str(tmp / "vocab.txt"), "bundle")
    values = json.loads((tmp / "bundle" / "bert_config.json").read_text())
    values.pop("max_relative_position")  # as Huawei's TF release writes it
    (tmp / "bundle" / "bert_config.json").write_text(json.dumps(values))
    return tmp


def test_matches_bert4keras_nezha_on_every_layer_past_the_clip_distance(huawei_bundle):
    require_bert4keras()
    loaded = load(locate(str(huawei_bundle / "bundle")), heads=("masked_lm",))
    assert loaded.family is NEZHA and loaded.config.max_relative_position == 64
    x = padded_inputs(len(VOCAB), 80)
    config = {"vocab_size": len(VOCAB), "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
              "intermediate_size": 64, "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2}
    theirs = bert4keras_outputs("nezha", "tanh", config, huawei_bundle / "bundle" / "model.ckpt", x, huawei_bundle)
    positions = np.tile(np.arange(80, dtype="int32"), (2, 1))
    features = {k: x[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    ours = loaded.model({**features, "masked_lm_positions": positions})
    encoder = loaded.model.get_layer("nezha_encoder")(features)
    real = x["padding_mask"].astype(bool)
    for i, layer in enumerate(encoder["encoder_outputs"]):
        np.testing.assert_allclose(np.asarray(layer)[real], theirs["encoder_outputs"][i][real], atol=1e-5,
                                   err_msg=f"layer {i}")
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[real], theirs["head"][real], atol=1e-4, rtol=1e-5)
    assert_first_token_equal(huawei_bundle / "bundle", features, theirs["encoder_outputs"][-1])  # query 0's distances


def test_a_relative_table_that_is_not_huaweis_would_show(huawei_bundle):
    """The same weights with another clip distance give other outputs past it (the test can fail)."""
    short = load(locate(str(huawei_bundle / "bundle")))
    values = json.loads((huawei_bundle / "bundle" / "bert_config.json").read_text())
    (huawei_bundle / "other.json").write_text(json.dumps({**values, "max_relative_position": 8}))
    other = load(locate(str(huawei_bundle / "bundle"), config_file=str(huawei_bundle / "other.json")))
    x = {k: v for k, v in padded_inputs(len(VOCAB), 20).items()}
    assert np.abs(np.asarray(short.model(x)["sequence_output"]) - np.asarray(other.model(x)["sequence_output"])).max() > 1e-3


def test_use_relative_position_false_is_not_nezha(huawei_bundle, tmp_path):
    values = json.loads((huawei_bundle / "bundle" / "bert_config.json").read_text())
    (tmp_path / "c.json").write_text(json.dumps({**values, "use_relative_position": False, "max_relative_position": 64}))
    with pytest.raises(ConfigError, match="use_relative_position is false: that is BERT's absolute positions"):
        load(locate(str(huawei_bundle / "bundle"), config_file=str(tmp_path / "c.json")))
