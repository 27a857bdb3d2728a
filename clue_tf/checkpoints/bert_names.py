"""The one table between Google's TF1 BERT variable names and our Keras weights.

Each row: TF1 name, Keras weight path, and the shape rule that turns the Keras shape
into the TF1 one (values move between them by a row-major reshape, in either direction).
keras-hub's attention keeps per-head kernels ([H, heads, head_dim]); Google's are flat.
"""

from typing import Callable, NamedTuple

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


def is_training_state(name: str) -> bool:
    """Optimizer slots and step counters (adam_m, AdamWeightDecayOptimizer, global_step)."""
    return (
        name in IGNORED_NAMES
        or name.endswith(IGNORED_SUFFIXES)
        or "AdamWeightDecayOptimizer" in name
    )
