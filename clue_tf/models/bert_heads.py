"""Task models on a BertEncoder with Google's heads: pretraining (MLM + NSP) and classifier.

Layer names match the rows of `checkpoints/bert_names.py`, so a checkpoint trained by
Google's run_pretraining.py or run_classifier.py fills them.
"""

import keras
import keras_hub

from clue_tf.models.bert import ACTIVATIONS, BertEncoder


def bert_pretraining_model(encoder: BertEncoder, next_sentence: bool = True) -> keras.Model:
    """Masked-LM logits at `masked_lm_positions` (decoder tied to the word embeddings),
    plus next-sentence logits from the pooled output when `next_sentence` is set."""
    inputs = dict(encoder.input)
    inputs["masked_lm_positions"] = keras.Input(shape=(None,), dtype="int32", name="masked_lm_positions")
    outputs = encoder({k: inputs[k] for k in ("token_ids", "segment_ids", "padding_mask")})
    mlm_head = keras_hub.layers.MaskedLMHead(
        vocabulary_size=encoder.vocabulary_size,
        token_embedding=encoder.token_embedding,
        intermediate_activation=ACTIVATIONS[encoder.hidden_act],
        layer_norm_epsilon=1e-12,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=encoder.initializer_range),
        dtype=encoder.dtype_policy,
        name="masked_lm_head",
    )
    result = {"masked_lm_logits": mlm_head(outputs["sequence_output"],
                                           mask_positions=inputs["masked_lm_positions"])}
    if next_sentence:
        result["next_sentence_logits"] = keras.layers.Dense(
            2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=encoder.initializer_range),
            dtype=encoder.dtype_policy, name="next_sentence_head",
        )(outputs["pooled_output"])
    return keras.Model(inputs, result, name="bert_pretraining")


def bert_classifier(encoder: BertEncoder, num_labels: int, dropout: float = 0.1) -> keras.Model:
    """Google run_classifier's model: dropout on the pooled output, then a dense layer."""
    inputs = dict(encoder.input)
    pooled = encoder(inputs)["pooled_output"]
    pooled = keras.layers.Dropout(dropout, name="classifier_dropout")(pooled)
    logits = keras.layers.Dense(
        num_labels, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        dtype=encoder.dtype_policy, name="classifier_head",
    )(pooled)
    return keras.Model(inputs, logits, name="bert_classifier")
