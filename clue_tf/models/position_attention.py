"""Positions inside self-attention, for the encoders that have no position table.

RoFormer rotates queries and keys by their position (keras-hub's RotaryEmbedding; RoFormer
pairs features (2i, 2i+1), keras-hub pairs (i, i + d/2), so the weight rows de-interleave
the query and key kernels, see `rotary_permutation`). NEZHA adds fixed sinusoids of the
clipped distance j - i to the keys and to the values (Huawei's `modeling.py`; keras-hub
has no such layer). Both subclass Keras's MultiHeadAttention at its `_compute_attention`
hook and replace the attention of keras-hub's TransformerEncoder, so every other part of
the block and every weight path stays keras-hub's.
"""

import math

import keras
import keras_hub
import numpy as np
from keras import ops

from clue_tf.private_api import replace_sublayer

POSITION_ENCODINGS = ("absolute", "rotary", "relative")


def rotary_permutation(head_dim: int) -> tuple:
    """Our feature order in terms of RoFormer's: (0, 2, 4, ..., 1, 3, 5, ...)."""
    return tuple(range(0, head_dim, 2)) + tuple(range(1, head_dim, 2))


def relative_sinusoids(max_relative_position: int, depth: int) -> np.ndarray:
    """Huawei's table: row p (p = clipped distance + M) holds sin/cos of p / 10000^(2i/depth)."""
    table = np.zeros((2 * max_relative_position + 1, depth))
    positions = np.arange(2 * max_relative_position + 1)[:, None]
    angles = positions / np.power(10000, 2 * np.arange(depth // 2) / depth)[None, :]
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table.astype("float32")


@keras.saving.register_keras_serializable(package="clue_tf")
class RotarySelfAttention(keras.layers.MultiHeadAttention):
    """Multi-head attention with queries and keys rotated by position (RoFormer)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rotary = keras_hub.layers.RotaryEmbedding(max_wavelength=10000, dtype=self.dtype_policy)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, **kwargs):
        return super()._compute_attention(self._rotary(query), self._rotary(key), value, attention_mask, training,
                                          return_attention_scores, **kwargs)


@keras.saving.register_keras_serializable(package="clue_tf")
class RelativeSelfAttention(keras.layers.MultiHeadAttention):
    """Multi-head attention with NEZHA's functional relative positions on keys and values."""

    def __init__(self, *args, max_relative_position: int = 64, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_relative_position = max_relative_position
        self._table = relative_sinusoids(max_relative_position, self._key_dim)
        self._probabilities_dropout = keras.layers.Dropout(self._dropout, dtype=self.dtype_policy)

    def _relations(self, query_length, key_length):
        """[T, S, d]: the sinusoid of clip(j - i) for query i and key j (queries are the first
        T positions: all of them, or the first token's alone, models/first_token.py)."""
        distance = ops.clip(ops.arange(key_length)[None, :] - ops.arange(query_length)[:, None],
                            -self.max_relative_position, self.max_relative_position)
        table = ops.cast(ops.convert_to_tensor(self._table), self.compute_dtype)
        return ops.take(table, distance + self.max_relative_position, axis=0)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, **kwargs):
        relations = self._relations(ops.shape(query)[1], ops.shape(key)[1])
        scores = ops.einsum("btnd,bsnd->bnts", query, key) + ops.einsum("btnd,tsd->bnts", query, relations)
        scores = scores / ops.cast(math.sqrt(self._key_dim), scores.dtype)
        if attention_mask is not None:
            big = -1e4 if scores.dtype == "float16" else -1e9
            scores = ops.where(ops.expand_dims(ops.cast(attention_mask, "bool"), 1), scores,
                               ops.cast(big, scores.dtype))
        probabilities = ops.softmax(ops.cast(scores, "float32"), axis=-1)
        probabilities = self._probabilities_dropout(ops.cast(probabilities, self.compute_dtype), training=training)
        output = (ops.einsum("bnts,bsnd->btnd", probabilities, value)
                  + ops.einsum("bnts,tsd->btnd", probabilities, relations))
        return output, probabilities

    def get_config(self) -> dict:
        return {**super().get_config(), "max_relative_position": self.max_relative_position}


@keras.saving.register_keras_serializable(package="clue_tf")
class PositionalTransformerEncoder(keras_hub.layers.TransformerEncoder):
    """keras-hub's TransformerEncoder whose self-attention adds positions ("rotary" or
    "relative"); weight paths unchanged."""

    def __init__(self, *args, position_encoding: str = "rotary", max_relative_position: int = 64, **kwargs):
        super().__init__(*args, **kwargs)
        if position_encoding not in POSITION_ENCODINGS[1:]:
            raise ValueError(f"position_encoding {position_encoding!r} is not rotary or relative")
        self.position_encoding = position_encoding
        self.max_relative_position = max_relative_position

    def build(self, inputs_shape):
        super().build(inputs_shape)
        old = self._self_attention_layer
        arguments = dict(num_heads=self.num_heads, key_dim=old._key_dim, dropout=self.dropout,
                         kernel_initializer=old._kernel_initializer, bias_initializer=old._bias_initializer,
                         dtype=self.dtype_policy, name="self_attention_layer")
        if self.position_encoding == "rotary":
            attention = RotarySelfAttention(**arguments)
        else:
            attention = RelativeSelfAttention(**arguments, max_relative_position=self.max_relative_position)
        attention.build(query_shape=inputs_shape, value_shape=inputs_shape)
        replace_sublayer(self, "_self_attention_layer", attention)

    def get_config(self) -> dict:
        return {**super().get_config(), "position_encoding": self.position_encoding,
                "max_relative_position": self.max_relative_position}
