"""Task models on a BertEncoder with Google's heads: masked LM, next sentence, classifier.

Layer names match the rows of `names.py`, so a checkpoint trained by Google's
run_pretraining.py or run_classifier.py (or its HF / UER twin) fills them.
"""

from typing import Optional

import keras
import keras_hub

from clue_tf.models.bert.backbone import ACTIVATIONS, BertEncoder
from clue_tf.models.dropout import use_bit_mask_dropout

HEADS = ("masked_lm", "next_sentence", "classifier")


def _initializer(encoder: BertEncoder):
    return keras.initializers.TruncatedNormal(stddev=encoder.initializer_range)


def bert_with_heads(encoder: BertEncoder, heads: tuple = ("masked_lm", "next_sentence"),
                    num_labels: Optional[int] = None) -> keras.Model:
    """The encoder with any of Google's heads; outputs `masked_lm_logits` (at
    `masked_lm_positions`, decoder tied to the word embeddings), `next_sentence_logits`
    and `classifier_logits` (dropout on the pooled output, then dense)."""
    unknown = set(heads) - set(HEADS)
    if unknown:
        raise ValueError(f"unknown heads {sorted(unknown)}; known: {HEADS}")
    inputs = dict(encoder.input)
    if "masked_lm" in heads:
        inputs["masked_lm_positions"] = keras.Input(shape=(None,), dtype="int32", name="masked_lm_positions")
    outputs = encoder({k: inputs[k] for k in ("token_ids", "segment_ids", "padding_mask")})
    result = {}
    if "masked_lm" in heads:
        mlm_head = keras_hub.layers.MaskedLMHead(
            vocabulary_size=encoder.vocabulary_size,
            token_embedding=encoder.token_embedding,
            intermediate_activation=ACTIVATIONS[encoder.hidden_act],
            layer_norm_epsilon=getattr(encoder, "layer_norm_epsilon", 1e-12),  # ERNIE 3.0: 1e-5
            kernel_initializer=_initializer(encoder),
            dtype=encoder.dtype_policy,
            name="masked_lm_head",
        )
        result["masked_lm_logits"] = mlm_head(outputs["sequence_output"],
                                              mask_positions=inputs["masked_lm_positions"])
    if "next_sentence" in heads:
        result["next_sentence_logits"] = keras.layers.Dense(
            2, kernel_initializer=_initializer(encoder), dtype=encoder.dtype_policy,
            name="next_sentence_head")(outputs["pooled_output"])
    if "classifier" in heads:
        pooled = keras.layers.Dropout(0.1, name="classifier_dropout")(outputs["pooled_output"])
        result["classifier_logits"] = keras.layers.Dense(
            num_labels or 2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype=encoder.dtype_policy, name="classifier_head")(pooled)
    return use_bit_mask_dropout(keras.Model(inputs, result, name="bert_with_heads"))


def bert_pretraining_model(encoder: BertEncoder, next_sentence: bool = True) -> keras.Model:
    """Google's run_pretraining model: masked LM, plus next sentence when `next_sentence`."""
    return bert_with_heads(encoder, ("masked_lm", "next_sentence") if next_sentence else ("masked_lm",))


def bert_classifier(encoder: BertEncoder, num_labels: int, dropout: float = 0.1) -> keras.Model:
    """Google run_classifier's model: dropout on the pooled output, then a dense layer; logits out."""
    inputs = dict(encoder.input)
    pooled = encoder(inputs)["pooled_output"]
    pooled = keras.layers.Dropout(dropout, name="classifier_dropout")(pooled)
    logits = keras.layers.Dense(
        num_labels, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        dtype=encoder.dtype_policy, name="classifier_head",
    )(pooled)
    return use_bit_mask_dropout(keras.Model(inputs, logits, name="bert_classifier"))
