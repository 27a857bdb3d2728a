"""Registry entries of the UER T5 v1.1 and Pegasus models: configs and parameter counts."""

import pytest

from clue_tf.checkpoints.registry import load_registry
from clue_tf.families import get_family
from clue_tf.models.seq2seq_config import Seq2SeqConfig

SEQ2SEQ = ["uer/t5-v1_1-small-chinese-cluecorpussmall", "uer/t5-v1_1-base-chinese-cluecorpussmall",
           "uer/pegasus-base-chinese-cluecorpussmall"]


def test_registry_configs_follow_the_published_architectures():
    registry = load_registry()
    small, base, pegasus = (registry[n].config for n in SEQ2SEQ)
    assert (small.num_layers, small.hidden_dim, small.num_heads, small.key_value_dim, small.intermediate_dim) \
        == (8, 512, 6, 64, 1024)
    assert (base.num_layers, base.hidden_dim, base.num_heads, base.intermediate_dim) == (12, 768, 12, 2048)
    assert small.stop_token_id == 102 and small.start_token_id == 101  # stale eos_token_id 1 overridden
    assert (pegasus.family, pegasus.num_layers, pegasus.intermediate_dim, pegasus.activation) == \
        ("pegasus", 12, 3072, "relu")
    assert round(registry[SEQ2SEQ[1]].num_parameters / 1e6) == 231  # the published size of t5-v1_1-base


@pytest.mark.parametrize("family", ["t5", "pegasus"])
def test_parameter_formula_matches_the_keras_model(family):
    config = Seq2SeqConfig(family=family, vocab_size=300, hidden_dim=48, num_layers=3, num_decoder_layers=3,
                           num_heads=4, key_value_dim=16 if family == "t5" else 12, intermediate_dim=80,
                           max_position_embeddings=40,
                           activation="gelu_approximate" if family == "t5" else "relu")
    assert get_family(family).build(config).count_params() == get_family(family).count_parameters(config)


def test_registry_t5_small_builds_with_the_counted_parameters():
    entry = load_registry()[SEQ2SEQ[0]]
    assert entry.family.build(entry.config).count_params() == entry.num_parameters
