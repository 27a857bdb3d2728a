"""Self-attention with query, key and value as one matmul and the heads moved by two
transposes, for the Keras MultiHeadAttention inside keras-hub's TransformerEncoder.

Keras's MultiHeadAttention projects query, key and value with three matmuls and, on
TensorFlow, runs its two attention einsums as batched matmuls wrapped in four transposes.
On CPUs each of those small ops costs more in fixed set-up than in arithmetic: a oneDNN int8
product of one text costs about as much at three times the width, and oneDNN's transpose takes
about 40 us at any size under 2^16 elements where TensorFlow's own takes 3 to 13 (AMD EPYC).
Here the three kernels are read side by side as one [width, 3 x heads x head_dim] kernel, one
transpose puts all three in head-major order, the scores multiply by the keys transposed in
the matmul itself, and one transpose takes the context back: 4 matmuls and 2 transposes a
layer instead of 6 and 4. The arithmetic is Keras's: the query is scaled before the scores,
the mask and softmax are the layer's own `_masked_softmax`, then its dropout; weights and
names are untouched.
"""

import types

import keras
import tensorflow as tf

from clue_tf.models.by_size import by_size, onednn_cpu_graph
from clue_tf.models.projections import plain_kernel
from clue_tf.private_api import get_keras_mask, inner_layers

# Below this many elements oneDNN's transpose costs more than TensorFlow's (see above).
SMALL_TRANSPOSE_ELEMENTS = 1 << 16
_SAME_WIDTH_INTEGER = {2: tf.int16, 4: tf.int32}


def _tensorflow_transpose(x: tf.Tensor, perm: list) -> tf.Tensor:
    """tf.transpose on TensorFlow's own kernel: oneDNN's graph rewrite takes only float
    transposes, so the tensor moves as integers of its width."""
    integer = _SAME_WIDTH_INTEGER[x.dtype.size]
    return tf.bitcast(tf.transpose(tf.bitcast(x, integer), perm), x.dtype)


def _integer_transpose(x: tf.Tensor, perm: list) -> tf.Tensor:
    """`_tensorflow_transpose`, its gradient the inverse transpose on TensorFlow's kernel too
    (the gradient is as small as the tensor)."""
    inverse = [perm.index(axis) for axis in range(len(perm))]

    @tf.custom_gradient
    def forward(x):
        return _tensorflow_transpose(x, perm), lambda dy: _tensorflow_transpose(dy, inverse)

    return forward(x)


def transpose(x: tf.Tensor, perm: list) -> tf.Tensor:
    """tf.transpose; while a graph is traced on a oneDNN CPU-only machine outside XLA, tensors
    under SMALL_TRANSPOSE_ELEMENTS move on TensorFlow's own kernel (their gradients alike)."""
    if not onednn_cpu_graph() or x.dtype.size not in _SAME_WIDTH_INTEGER:
        return tf.transpose(x, perm)
    return by_size(x, SMALL_TRANSPOSE_ELEMENTS, small=lambda: _integer_transpose(x, perm),
                   large=lambda: tf.transpose(x, perm))


def stacked_projection(layers: list, inputs: tf.Tensor) -> tf.Tensor:
    """`inputs` [batch, tokens, width] through the EinsumDense `layers` (`abc,cde->abde`)
    side by side: [batch, tokens, len(layers), heads, head_dim]. One matmul when every
    kernel is plain, or the first layer's `stacked_product(layers, inputs_2d)` (int8 serving)
    supplies the product with biases; else each layer's own call, stacked."""
    heads, head_dim = layers[0].kernel.shape[1:]
    width = inputs.shape[-1]
    leading = tf.shape(inputs)[:2]
    owner_product = getattr(layers[0], "stacked_product", None)
    if owner_product is not None and all(getattr(layer, "stacked_product", None) is owner_product
                                         for layer in layers):
        product = owner_product(layers, tf.reshape(inputs, [-1, width]))
    elif all(plain_kernel(layer) and layer.activation in (None, keras.activations.linear) for layer in layers):
        kernel = tf.concat([tf.reshape(layer.kernel, [width, -1]) for layer in layers], axis=1)
        product = tf.matmul(tf.reshape(inputs, [-1, width]), kernel)
        if all(layer.bias is not None for layer in layers):
            product = tf.nn.bias_add(product, tf.concat([tf.reshape(layer.bias, [-1]) for layer in layers], 0))
        elif any(layer.bias is not None for layer in layers):
            return tf.stack([layer(inputs) for layer in layers], axis=2)
    else:
        return tf.stack([layer(inputs) for layer in layers], axis=2)
    return tf.reshape(product, tf.concat([leading, [len(layers), heads, head_dim]], 0))


def _heads_first(stacked: tf.Tensor) -> list:
    """[batch, tokens, n, heads, head_dim] -> n tensors [batch, heads, tokens, head_dim]."""
    return tf.unstack(transpose(stacked, [2, 0, 3, 1, 4]), axis=0)


def _fused_call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
    """Keras MultiHeadAttention.call for self-attention (or one query row over every key)
    without Keras masks, causal masks or returned scores; anything else takes Keras's call."""
    if (return_attention_scores or use_causal_mask or (key is not None and key is not value)
            or len(query.shape) != 3 or any(mask is not None for mask in (query_mask, value_mask, key_mask))
            or get_keras_mask(query) is not None or get_keras_mask(value) is not None):
        return type(self).call(self, query, value, key=key, query_mask=query_mask, value_mask=value_mask,
                               key_mask=key_mask, attention_mask=attention_mask,
                               return_attention_scores=return_attention_scores, training=training,
                               use_causal_mask=use_causal_mask)
    if query is value:
        query, key, value = _heads_first(stacked_projection(
            [self._query_dense, self._key_dense, self._value_dense], value))
    else:  # a classifier's last layer: the first token's query over every key
        (query,) = _heads_first(stacked_projection([self._query_dense], query))
        key, value = _heads_first(stacked_projection([self._key_dense, self._value_dense], value))
    query = query * tf.cast(self._inverse_sqrt_key_dim, query.dtype)
    scores = tf.matmul(query, key, transpose_b=True)  # [batch, heads, queries, keys]
    if attention_mask is not None:
        attention_mask = tf.cast(attention_mask, tf.bool)
    probabilities = self._masked_softmax(scores, attention_mask)
    if self._dropout > 0.0:
        probabilities = self._dropout_layer(probabilities, training=training)
    context = transpose(tf.matmul(probabilities, value), [0, 2, 1, 3])  # [batch, queries, heads, head_dim]
    return self._output_dense(context)


def use_fused_attention(model: keras.Layer) -> keras.Layer:
    """Gives every Keras MultiHeadAttention inside `model` (the self-attention of keras-hub's
    TransformerEncoder; RoFormer's and NEZHA's subclasses keep theirs) the fused call;
    returns it."""
    if keras.backend.backend() != "tensorflow":
        return model
    for layer in inner_layers(model):
        if (type(layer) is keras.layers.MultiHeadAttention and layer._attention_axes in (None, (1,))
                and not getattr(layer, "_use_gate", False)):
            layer.call = types.MethodType(_fused_call, layer)
    return model

