"""ELECTRA's heads on an ElectraEncoder: the generator (our masked_lm head), the
discriminator's replaced-token head, and Google's fine-tuning classifier.

The generator is Google's: a smaller BERT on the discriminator's embedding tables and
LayerNorm (`electra/embeddings`), its own projection E->H_g when they differ, and
`generator_predictions` (dense to E, activation, LayerNorm, the tied word table, a bias),
which is keras-hub's MaskedLMHead. Layer names match the rows of `names.py`.
"""

from typing import Optional

import keras
import keras_hub
from keras import ops

from clue_tf.errors import ConfigError
from clue_tf.models.activations import KERAS_ACTIVATIONS
from clue_tf.models.dropout import use_bit_mask_dropout
from clue_tf.models.electra.config import ElectraConfig

HEADS = ("masked_lm", "replaced_token", "classifier")


def _initializer(config: ElectraConfig):
    return keras.initializers.TruncatedNormal(stddev=config.initializer_range)


def generator_logits(encoder, config: ElectraConfig, token_ids, segment_ids, padding_mask, masked_lm_positions):
    """The generator's vocabulary logits at `masked_lm_positions` (Google's run_pretraining)."""
    activation = KERAS_ACTIVATIONS[config.hidden_act]
    dtype = encoder.dtype_policy
    x = encoder.embed(token_ids, segment_ids)
    if config.embedding_size != config.generator_hidden_size:
        x = keras.layers.Dense(config.generator_hidden_size, kernel_initializer=_initializer(config), dtype=dtype,
                               name="generator_projection")(x)
    for i in range(config.generator_num_hidden_layers):
        x = keras_hub.layers.TransformerEncoder(
            num_heads=config.generator_heads(), intermediate_dim=config.generator_intermediate_size,
            activation=activation, dropout=config.hidden_dropout_prob, layer_norm_epsilon=1e-12,
            kernel_initializer=_initializer(config), dtype=dtype, name=f"generator_layer_{i}",
        )(x, padding_mask=padding_mask)
    head = keras_hub.layers.MaskedLMHead(
        vocabulary_size=config.vocab_size, token_embedding=encoder.token_embedding,
        intermediate_activation=activation, layer_norm_epsilon=1e-12, kernel_initializer=_initializer(config),
        dtype=dtype, name="masked_lm_head")
    return head(x, mask_positions=masked_lm_positions)


def replaced_token_logits(config: ElectraConfig, sequence_output, dtype=None):
    """Google's discriminator_predictions: dense H, activation, dense 1; one logit a token."""
    hidden = keras.layers.Dense(config.hidden_size, activation=KERAS_ACTIVATIONS[config.hidden_act],
                                kernel_initializer=_initializer(config), dtype=dtype,
                                name="replaced_token_dense")(sequence_output)
    logits = keras.layers.Dense(1, kernel_initializer=_initializer(config), dtype=dtype,
                                name="replaced_token_logits")(hidden)
    return ops.squeeze(logits, -1)


def electra_with_heads(encoder, config: ElectraConfig, heads: tuple, num_labels: Optional[int] = None) -> keras.Model:
    """The encoder with any of ELECTRA's heads; outputs `masked_lm_logits`,
    `replaced_token_logits` and `classifier_logits`."""
    unknown = set(heads) - set(HEADS)
    if unknown:
        raise ValueError(f"unknown heads {sorted(unknown)}; known: {HEADS}")
    if "masked_lm" in heads and not config.generator_hidden_size:
        raise ConfigError("this ELECTRA config has no generator (generator_hidden_size), so no masked_lm head")
    inputs = dict(encoder.input)
    if "masked_lm" in heads:
        inputs["masked_lm_positions"] = keras.Input(shape=(None,), dtype="int32", name="masked_lm_positions")
    features = [inputs[k] for k in ("token_ids", "segment_ids", "padding_mask")]
    outputs = encoder(dict(zip(("token_ids", "segment_ids", "padding_mask"), features)))
    result = {}
    if "masked_lm" in heads:
        result["masked_lm_logits"] = generator_logits(encoder, config, *features, inputs["masked_lm_positions"])
    if "replaced_token" in heads:
        result["replaced_token_logits"] = replaced_token_logits(config, outputs["sequence_output"],
                                                                encoder.dtype_policy)
    if "classifier" in heads:  # Google's finetune/classification: dropout 0.1 on the first token, dense
        pooled = keras.layers.Dropout(0.1, name="classifier_dropout")(outputs["pooled_output"])
        result["classifier_logits"] = keras.layers.Dense(
            num_labels or 2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype=encoder.dtype_policy, name="classifier_head")(pooled)
    if tuple(heads) == ("masked_lm",):  # keep the discriminator in the model: its weights load and write
        result["sequence_output"] = outputs["sequence_output"]
    if tuple(heads) == ("classifier",):
        return use_bit_mask_dropout(keras.Model(inputs, result["classifier_logits"], name="electra_classifier"))
    return use_bit_mask_dropout(keras.Model(inputs, result, name="electra_with_heads"))


def generator_config_of(model) -> dict:
    """The generator's config fields read back from a built model (empty: it has none)."""
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    if "generator_layer_0" not in layers:
        return {}
    first = layers["generator_layer_0"]
    count = sum(1 for name in layers if name.startswith("generator_layer_"))
    return {"generator_hidden_size": int(first._self_attention_layer._key_dim * first.num_heads),
            "generator_num_hidden_layers": count, "generator_num_attention_heads": int(first.num_heads),
            "generator_intermediate_size": int(first.intermediate_dim)}
