"""The one table between Google's TF1 BERT variable names and our Keras weights.

Each row: TF1 name, Keras weight path, and the shape rule that turns the Keras shape
into the TF1 one (values move between them by a row-major reshape, in either direction),
or `transpose` for Google's head weights stored as [out, in]. keras-hub's attention keeps
per-head kernels ([H, heads, head_dim]); Google's are flat. Reading and writing both walk
these rows through `to_keras` / `to_tf1`, so they cannot drift apart.
"""

from typing import Callable, NamedTuple

import numpy as np

ShapeRule = Callable[[tuple], tuple]


def same(shape: tuple) -> tuple:
    return shape


def merge_heads_last(shape: tuple) -> tuple:
    """[H, heads, head_dim] -> [H, heads*head_dim]; [heads, head_dim] -> [heads*head_dim]."""
    return (*shape[:-2], shape[-2] * shape[-1])


def merge_heads_first(shape: tuple) -> tuple:
    """Attention output kernel [heads, head_dim, H] -> [heads*head_dim, H]."""
    return (shape[0] * shape[1], shape[2])


class NameMapping(NamedTuple):
    tf1_name: str
    keras_path: str
    rule: ShapeRule
    optional: bool = False  # real releases may lack it (UER miniatures have no pooler)
    transpose: bool = False  # Google's output_weights are [out, in]; Keras kernels [in, out]

    def tf1_shape(self, keras_shape: tuple) -> tuple:
        shape = tuple(self.rule(tuple(keras_shape)))
        return shape[::-1] if self.transpose else shape

    def to_keras(self, value: np.ndarray, keras_shape: tuple) -> np.ndarray:
        return np.reshape(value.T if self.transpose else value, keras_shape)

    def to_tf1(self, value: np.ndarray) -> np.ndarray:
        value = np.reshape(value, self.rule(tuple(value.shape)))
        return value.T if self.transpose else value


_EMBEDDINGS = [
    ("bert/embeddings/word_embeddings", "token_embedding/embeddings"),
    ("bert/embeddings/token_type_embeddings", "segment_embedding/embeddings"),
    ("bert/embeddings/position_embeddings", "position_embedding/embeddings"),
    ("bert/embeddings/LayerNorm/gamma", "embeddings_layer_norm/gamma"),
    ("bert/embeddings/LayerNorm/beta", "embeddings_layer_norm/beta"),
]

_LAYER = [
    ("attention/self/query/kernel", "self_attention_layer/query/kernel", merge_heads_last),
    ("attention/self/query/bias", "self_attention_layer/query/bias", merge_heads_last),
    ("attention/self/key/kernel", "self_attention_layer/key/kernel", merge_heads_last),
    ("attention/self/key/bias", "self_attention_layer/key/bias", merge_heads_last),
    ("attention/self/value/kernel", "self_attention_layer/value/kernel", merge_heads_last),
    ("attention/self/value/bias", "self_attention_layer/value/bias", merge_heads_last),
    ("attention/output/dense/kernel", "self_attention_layer/attention_output/kernel", merge_heads_first),
    ("attention/output/dense/bias", "self_attention_layer/attention_output/bias", same),
    ("attention/output/LayerNorm/gamma", "self_attention_layer_norm/gamma", same),
    ("attention/output/LayerNorm/beta", "self_attention_layer_norm/beta", same),
    ("intermediate/dense/kernel", "feedforward_intermediate_dense/kernel", same),
    ("intermediate/dense/bias", "feedforward_intermediate_dense/bias", same),
    ("output/dense/kernel", "feedforward_output_dense/kernel", same),
    ("output/dense/bias", "feedforward_output_dense/bias", same),
    ("output/LayerNorm/gamma", "feedforward_layer_norm/gamma", same),
    ("output/LayerNorm/beta", "feedforward_layer_norm/beta", same),
]

_POOLER = [
    ("bert/pooler/dense/kernel", "pooled_dense/kernel"),
    ("bert/pooler/dense/bias", "pooled_dense/bias"),
]

# Heads, as Google's run_pretraining.py and run_classifier.py name them. All optional:
# CLUE's releases have no MLM head, the -pair models no NSP head either.
_MASKED_LM = [
    ("cls/predictions/transform/dense/kernel", "masked_lm_head/intermediate_dense/kernel"),
    ("cls/predictions/transform/dense/bias", "masked_lm_head/intermediate_dense/bias"),
    ("cls/predictions/transform/LayerNorm/gamma", "masked_lm_head/intermediate_layer_norm/gamma"),
    ("cls/predictions/transform/LayerNorm/beta", "masked_lm_head/intermediate_layer_norm/beta"),
    ("cls/predictions/output_bias", "masked_lm_head/output_bias"),
]
_NEXT_SENTENCE = [
    ("cls/seq_relationship/output_weights", "next_sentence_head/kernel", True),
    ("cls/seq_relationship/output_bias", "next_sentence_head/bias", False),
]
_CLASSIFIER = [
    ("output_weights", "classifier_head/kernel", True),
    ("output_bias", "classifier_head/bias", False),
]

# Training state that checkpoints carry beside the model; never part of a model.
IGNORED_SUFFIXES = ("/adam_m", "/adam_v", "/Adam", "/Adam_1")
IGNORED_NAMES = ("global_step",)


def encoder_mappings(num_layers: int) -> list[NameMapping]:
    """Rows for an encoder with `num_layers` layers, in Google's variable order."""
    rows = [NameMapping(tf1, path, same) for tf1, path in _EMBEDDINGS]
    for i in range(num_layers):
        rows += [
            NameMapping(f"bert/encoder/layer_{i}/{tf1}", f"transformer_layer_{i}/{path}", rule)
            for tf1, path, rule in _LAYER
        ]
    rows += [NameMapping(tf1, path, same, optional=True) for tf1, path in _POOLER]
    return rows


def masked_lm_mappings() -> list[NameMapping]:
    return [NameMapping(tf1, path, same, optional=True) for tf1, path in _MASKED_LM]


def next_sentence_mappings() -> list[NameMapping]:
    return [NameMapping(tf1, path, same, optional=True, transpose=t) for tf1, path, t in _NEXT_SENTENCE]


def classifier_mappings() -> list[NameMapping]:
    return [NameMapping(tf1, path, same, optional=True, transpose=t) for tf1, path, t in _CLASSIFIER]


def is_training_state(name: str) -> bool:
    """Optimizer slots and step counters (adam_m, AdamWeightDecayOptimizer, global_step)."""
    return (
        name in IGNORED_NAMES
        or name.endswith(IGNORED_SUFFIXES)
        or "AdamWeightDecayOptimizer" in name
    )
