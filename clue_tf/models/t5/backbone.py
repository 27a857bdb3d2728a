"""Chinese T5 v1.1 (UER): keras-hub's T5 backbone and seq2seq LM, configured as v1.1.

keras-hub's T5 layers are numerically T5 v1.1 when built with gated tanh-GELU, no tied
head and no biases: RMSNorm, unscaled attention, the relative position bias in block 0
of each stack, and a key/value cache for generation. We only configure them.
"""

import keras_hub

from clue_tf.errors import ConfigError
from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.private_api import gelu_approximate

# keras-hub's T5MultiHeadAttention fixes these; every published T5 uses them.
KERAS_HUB_BUCKETS, KERAS_HUB_MAX_DISTANCE = 32, 128


def t5_backbone(config: Seq2SeqConfig, dtype=None) -> keras_hub.models.T5Backbone:
    """A T5 v1.1 backbone (untied head, gated GELU with the tanh approximation)."""
    if (config.relative_attention_num_buckets, config.relative_attention_max_distance) != (
            KERAS_HUB_BUCKETS, KERAS_HUB_MAX_DISTANCE):
        raise ConfigError(
            f"relative attention with {config.relative_attention_num_buckets} buckets / max distance "
            f"{config.relative_attention_max_distance} is not supported (only 32 / 128)")
    return keras_hub.models.T5Backbone(
        vocabulary_size=config.vocab_size,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        hidden_dim=config.hidden_dim,
        intermediate_dim=config.intermediate_dim,
        key_value_dim=config.key_value_dim,
        dropout=config.dropout,
        activation=gelu_approximate,
        use_gated_activation=True,
        layer_norm_epsilon=config.layer_norm_epsilon,
        tie_embedding_weights=False,
        dtype=dtype,
    )


def t5_seq2seq_lm(config: Seq2SeqConfig, dtype=None) -> keras_hub.models.T5Seq2SeqLM:
    """T5 v1.1 with its LM head; takes token ids, no preprocessor."""
    return keras_hub.models.T5Seq2SeqLM(t5_backbone(config, dtype), preprocessor=None)
