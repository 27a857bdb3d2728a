"""The 2-D matmul calls of models/projections.py compute what Keras's own Dense and
EinsumDense calls compute (values and gradients, inside tf.function where TensorFlow's graph
rewrites fuse them), and every such layer of the BERT encoder uses them."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.models.activations import KERAS_ACTIVATIONS
from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.projections import _dense_call, _einsum_call, use_matmul_projections
from tests.models.traced import outputs_and_gradients


def _assert_patched_equals_keras(layer, inputs, patched_call, keras_call):
    layer.call = types.MethodType(patched_call, layer)
    ours, _ = outputs_and_gradients(layer, inputs)
    layer.call = types.MethodType(keras_call, layer)
    theirs, _ = outputs_and_gradients(layer, inputs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("activation", ["gelu_tanh", "gelu_erf", "linear"])
@pytest.mark.parametrize("shape", [[3, 7, 16], [5, 16]])
def test_dense_call_equals_keras(activation, shape):
    layer = keras.layers.Dense(24, activation=KERAS_ACTIVATIONS[activation], use_bias=activation != "linear")
    layer.build([None, 16])
    inputs = tf.random.stateless_normal(shape, [1, 2])
    _assert_patched_equals_keras(layer, inputs, _dense_call, keras.layers.Dense.call)


@pytest.mark.parametrize("equation, kernel_shape, output_shape, inputs_shape", [
    ("abc,cde->abde", [16, 4, 8], [None, 4, 8], [3, 7, 16]),  # query / key / value
    ("abcd,cde->abe", [4, 8, 16], [None, 16], [3, 7, 4, 8]),  # attention output
])
def test_attention_projection_call_equals_keras(equation, kernel_shape, output_shape, inputs_shape):
    layer = keras.layers.EinsumDense(equation, output_shape=output_shape, bias_axes="de"[:len(output_shape) - 1]
                                     if equation.startswith("abc,") else "e")
    layer.build(inputs_shape)
    assert list(layer.kernel.shape) == kernel_shape
    inputs = tf.random.stateless_normal(inputs_shape, [3, 4])
    _assert_patched_equals_keras(layer, inputs, _einsum_call, keras.layers.EinsumDense.call)


def test_every_dense_and_projection_of_the_encoder_uses_it():
    encoder = use_matmul_projections(BertEncoder(100, 2, 2, 16, 32, max_sequence_length=16))
    layers = list(encoder._flatten_layers())
    denses = [layer for layer in layers if type(layer) is keras.layers.Dense]
    projections = [layer for layer in layers if type(layer) is keras.layers.EinsumDense]
    assert len(denses) >= 2 * 2 and len(projections) == 2 * 4  # per block: 2 feed-forward, 4 attention
    assert all(layer.call.__func__ is _dense_call for layer in denses)
    assert all(layer.call.__func__ is _einsum_call for layer in projections)
