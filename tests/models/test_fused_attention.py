"""The fused self-attention of models/fused_attention.py computes what Keras's
MultiHeadAttention computes (values and gradients, traced, on both sides of the transpose
size rule), with one projection matmul and two transposes a layer, and the encoders built on
keras-hub's TransformerEncoder use it."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.families import get_family
from clue_tf.models.by_size import onednn_cpu_graph
from clue_tf.models.albert.config import AlbertConfig
from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.fused_attention import SMALL_TRANSPOSE_ELEMENTS, _fused_call, transpose
from clue_tf.private_api import inner_layers


def _attention(width: int, heads: int, dropout: float = 0.1) -> keras.layers.MultiHeadAttention:
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads, dropout=dropout)
    x = tf.zeros([1, 3, width])
    layer(x, x)
    rng = np.random.RandomState(0)
    for weight in layer.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
    return layer


def _outputs_and_gradients(layer, call, x, lengths, first_token: bool) -> list:
    """Outputs and gradients (inputs, every weight) of a padded batch, traced with unknown
    batch and length, under `call`."""
    layer.call = types.MethodType(call, layer)
    width = x.shape[-1]

    @tf.function(input_signature=[tf.TensorSpec([None, None, width]), tf.TensorSpec([None], tf.int32)])
    def run(x, lengths):
        keys = tf.sequence_mask(lengths, tf.shape(x)[1])[:, None, :]
        with tf.GradientTape() as tape:
            tape.watch(x)
            if first_token:
                y = layer(x[:, :1], x, attention_mask=keys)
            else:
                y = layer(x, x, attention_mask=tf.logical_and(keys, tf.ones_like(tf.transpose(keys, [0, 2, 1]))))
            loss = tf.reduce_sum(y * tf.cos(y))
        return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]

    return [t.numpy() for t in run(x, lengths)]


@pytest.mark.parametrize("first_token", [False, True], ids=["every_token", "first_token"])
@pytest.mark.parametrize("shape, heads", [([3, 7, 16], 2), ([4, 128, 64], 4)], ids=["small", "large"])
def test_fused_call_equals_keras_multi_head_attention(shape, heads, first_token):
    layer = _attention(shape[-1], heads)
    x = tf.random.stateless_normal(shape, [1, 2])
    lengths = tf.constant([shape[1], shape[1] - 3] * (shape[0] // 2) + [shape[1]] * (shape[0] % 2))
    ours = _outputs_and_gradients(layer, _fused_call, x, lengths, first_token)
    keras_own = _outputs_and_gradients(layer, keras.layers.MultiHeadAttention.call, x, lengths, first_token)
    assert len(ours) == 2 + len(layer.trainable_weights)
    # The key bias's gradient is zero but for rounding (softmax ignores a constant per query),
    # so the absolute tolerance follows the largest value in play.
    scale = max(np.abs(b).max() for b in keras_own)
    for a, b in zip(ours, keras_own):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * scale)


def test_calls_it_cannot_fuse_take_keras_call():
    layer = _attention(16, 2, dropout=0.0)
    layer.call = types.MethodType(_fused_call, layer)
    query, value = tf.random.stateless_normal([2, 3, 16], [1, 1]), tf.random.stateless_normal([2, 5, 16], [2, 2])
    output, scores = layer(query, value, return_attention_scores=True)
    assert scores.shape == (2, 2, 3, 5)
    layer.call = types.MethodType(keras.layers.MultiHeadAttention.call, layer)
    np.testing.assert_allclose(output.numpy(), layer(query, value).numpy(), rtol=1e-6, atol=1e-6)


def _traced(function, spec):
    return tf.function(function).get_concrete_function(spec).graph


@pytest.mark.skipif(not tf.function(onednn_cpu_graph)(),
                    reason="the transpose size rule applies on CPU-only machines with oneDNN's kernels")
@pytest.mark.parametrize("elements", [SMALL_TRANSPOSE_ELEMENTS // 2, SMALL_TRANSPOSE_ELEMENTS * 2])
def test_transpose_routes_by_size_and_equals_tf_transpose(elements):
    """Under the size oneDNN's kernel is bypassed (the tensor moves as integers); the values
    and the gradient are tf.transpose's on both sides, static or dynamic shapes. Unknown
    shapes choose at run time, except under a gradient tape (training batches are large)."""
    shape = [2, elements // (2 * 4 * 16), 4, 16]
    x = tf.random.stateless_normal(shape, [3, 3])

    def with_gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = transpose(x, [0, 2, 1, 3])
            loss = tf.reduce_sum(y * tf.cos(y))  # d loss / d x = cos x - x sin x, wherever x moved
        return y, tape.gradient(loss, x)

    static_ops = {op.type for op in _traced(with_gradient, tf.TensorSpec(shape)).get_operations()}
    assert ("Bitcast" in static_ops) == (elements < SMALL_TRANSPOSE_ELEMENTS)
    dynamic = tf.TensorSpec([None, None, 4, 16])
    inference_ops = {op.type for op in _traced(lambda x: transpose(x, [0, 2, 1, 3]), dynamic).get_operations()}
    assert inference_ops & {"If", "StatelessIf"}  # chosen at run time
    training_ops = {op.type for op in _traced(with_gradient, dynamic).get_operations()}
    assert not training_ops & {"If", "StatelessIf", "Bitcast"}  # under a tape: the large way, no cond to differentiate
    expected = tf.transpose(x, [0, 2, 1, 3])
    for spec in (tf.TensorSpec(shape), tf.TensorSpec([None, None, 4, 16])):
        y, grad = tf.function(with_gradient, input_signature=[spec])(x)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
        np.testing.assert_allclose(grad.numpy(), (tf.cos(x) - x * tf.sin(x)).numpy(), rtol=1e-6, atol=1e-6)


def _op_counts(encoder, length: int) -> dict:
    inputs = {name: tf.TensorSpec([2, length], tf.int32) for name in ("token_ids", "segment_ids", "padding_mask")}
    graph = tf.function(lambda features: encoder(features, training=False)).get_concrete_function(inputs).graph
    types_ = [op.type for op in graph.get_operations()]
    return {kind: types_.count(kind) for kind in ("MatMul", "BatchMatMulV2", "Transpose", "Einsum")}


@pytest.mark.parametrize("family", ["bert", "albert"])
def test_encoders_run_one_projection_matmul_and_two_transposes_a_layer(family):
    if family == "bert":
        encoder = BertEncoder(100, 2, 2, 16, 32, max_sequence_length=16)
    else:  # one shared layer applied twice
        encoder = get_family("albert").build_encoder(AlbertConfig(
            vocab_size=100, embedding_size=8, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=32, max_position_embeddings=16))
    attention = [layer for layer in inner_layers(encoder) if type(layer) is keras.layers.MultiHeadAttention]
    assert attention and all(layer.call.__func__ is _fused_call for layer in attention)
    counts = _op_counts(encoder, 8)
    layers = 2
    # per layer: query-key-value, attention output, two feed-forward; then the pooler (and ALBERT's projection)
    assert counts["MatMul"] in (4 * layers + 1, 4 * layers + 2), counts
    assert counts["BatchMatMulV2"] == 2 * layers and counts["Transpose"] == 2 * layers, counts
    assert counts["Einsum"] == 0, counts
