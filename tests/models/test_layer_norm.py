"""The oneDNN LayerNorm call of models/layer_norm.py computes what Keras's own LayerNormalization
computes (values and gradients, inside tf.function), the traced graph really holds the oneDNN
op, `portable_graph()` keeps it out, and every LayerNorm of the BERT encoder has the call."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.models import layer_norm
from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.layer_norm import (OP_TYPE, _layer_norm_call, fused_kernel_usable, portable_graph,
                                       use_fused_layer_norm)
from tests.models.traced import outputs_and_gradients

pytestmark = pytest.mark.skipif(
    not tf.function(fused_kernel_usable)(),
    reason="this TensorFlow has no oneDNN LayerNorm kernel here (no oneDNN, or a GPU / TPU is visible)")


@pytest.fixture
def any_size(monkeypatch):
    """The oneDNN op for inputs of every size (these tests' inputs are small)."""
    monkeypatch.setattr(layer_norm, "FUSED_MIN_ELEMENTS", 0)


def library_op_types(graph) -> set:
    """Op types of a traced graph and of the functions it calls (a tf.cond's branches)."""
    graph_def = graph.as_graph_def()
    return {node.op for node in graph_def.node} | {
        node.op for function in graph_def.library.function for node in function.node_def}


def fused_layer(width: int) -> keras.layers.LayerNormalization:
    layer = keras.layers.LayerNormalization(epsilon=1e-12)
    layer.build([None, width])
    layer.gamma.assign(np.random.default_rng(0).uniform(0.5, 1.5, width).astype(np.float32))
    layer.call = types.MethodType(_layer_norm_call, layer)
    return layer


@pytest.mark.usefixtures("any_size")
@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize("shape", [[3, 7, 32], [5, 32]])
def test_oneDNN_call_equals_keras_values_and_gradients(dtype, shape):
    layer = keras.layers.LayerNormalization(epsilon=1e-12, dtype=dtype)
    layer.build([None, 32])
    layer.gamma.assign(np.random.default_rng(0).uniform(0.5, 1.5, 32).astype(np.float32))
    layer.beta.assign(np.random.default_rng(1).normal(0, 0.1, 32).astype(np.float32))
    inputs = tf.cast(tf.random.stateless_normal(shape, [1, 2]) * 3 + 1, layer.compute_dtype)

    layer.call = types.MethodType(_layer_norm_call, layer)
    ours, our_ops = outputs_and_gradients(layer, inputs)
    layer.call = types.MethodType(keras.layers.LayerNormalization.call, layer)
    theirs, their_ops = outputs_and_gradients(layer, inputs)

    assert OP_TYPE in our_ops and OP_TYPE not in their_ops
    tolerance = 2e-5 if dtype == "float32" else 1e-2  # bfloat16 outputs: one rounding either side
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.usefixtures("any_size")
def test_portable_graph_uses_keras_ops():
    layer = keras.layers.LayerNormalization(epsilon=1e-12)
    layer.build([None, 8])
    layer.call = types.MethodType(_layer_norm_call, layer)
    inputs = tf.ones([2, 8])
    with portable_graph():
        _, portable_ops = outputs_and_gradients(layer, inputs)
    _, fused_ops = outputs_and_gradients(layer, inputs)
    assert OP_TYPE not in portable_ops and OP_TYPE in fused_ops


def test_xla_graphs_use_keras_ops():
    """XLA has no kernel for the oneDNN op (and fuses Keras's ops itself)."""
    layer = keras.layers.LayerNormalization(epsilon=1e-12)
    layer.build([None, 8])
    layer.call = types.MethodType(_layer_norm_call, layer)
    compiled = tf.function(lambda x: layer(x), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.range(8.0)[None]).numpy()[0, :2], [-1.5275, -1.0911], atol=1e-4)
    graph = compiled.get_concrete_function(tf.TensorSpec([None, 8])).graph
    assert OP_TYPE not in {op.type for op in graph.get_operations()}


def test_every_layer_norm_of_the_encoder_uses_it():
    encoder = use_fused_layer_norm(BertEncoder(100, 2, 2, 16, 32, max_sequence_length=16))
    norms = [layer for layer in encoder._flatten_layers() if type(layer) is keras.layers.LayerNormalization]
    assert len(norms) == 1 + 2 * 2  # embeddings, then attention and feed-forward per block
    assert all(layer.call.__func__ is _layer_norm_call for layer in norms)


def test_small_inputs_use_keras_ops_and_large_ones_oneDNN():
    """oneDNN's per-call set-up costs more than Keras's ops on one served text."""
    width = 256
    rows = layer_norm.FUSED_MIN_ELEMENTS // width
    _, small_ops = outputs_and_gradients(fused_layer(width), tf.ones([rows - 1, width]))
    _, large_ops = outputs_and_gradients(fused_layer(width), tf.ones([rows, width]))
    assert OP_TYPE not in small_ops and OP_TYPE in large_ops


def _layer_and_reference(width: int) -> tuple:
    layer = fused_layer(width)
    reference = keras.layers.LayerNormalization(epsilon=1e-12)
    reference.build([None, width])
    reference.set_weights(layer.get_weights())
    return layer, reference


def test_shapes_known_at_run_time_choose_in_the_graph():
    """An inference graph traced once (rows unknown) holds both ways; each gives Keras's values."""
    width = 256
    rows = layer_norm.FUSED_MIN_ELEMENTS // width
    layer, reference = _layer_and_reference(width)

    def values(norm):
        return tf.function(lambda x: norm(x), input_signature=[tf.TensorSpec([None, width])])

    ours, theirs = values(layer), values(reference)
    graph = ours.get_concrete_function().graph
    assert OP_TYPE in library_op_types(graph)  # in a branch, run only when taken
    assert OP_TYPE not in {op.type for op in graph.get_operations()}
    for count in (3, rows + 5):
        x = tf.random.stateless_normal([count, width], [count, 1]) * 2 + 1
        np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=2e-5, atol=2e-4)


def test_training_graphs_take_the_oneDNN_op_at_any_run_time_size():
    """Under a gradient tape (rows unknown) the graph holds oneDNN's op and no tf.cond, whose
    gradient would be traced for both ways; small inputs still get Keras's values and gradients."""
    width = 256
    rows = layer_norm.FUSED_MIN_ELEMENTS // width
    layer, reference = _layer_and_reference(width)

    def values_and_gradients(norm):
        @tf.function(input_signature=[tf.TensorSpec([None, width])])
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = norm(x)
                loss = tf.reduce_sum(y * tf.cos(y))
            return y, tape.gradient(loss, [x, *norm.trainable_weights])
        return run

    ours, theirs = values_and_gradients(layer), values_and_gradients(reference)
    op_types = {op.type for op in ours.get_concrete_function().graph.get_operations()}
    assert OP_TYPE in op_types and not op_types & {"If", "StatelessIf"}
    for count in (3, rows + 5):
        x = tf.random.stateless_normal([count, width], [count, 1]) * 2 + 1
        (y, grads), (y_ref, grads_ref) = ours(x), theirs(x)
        for a, b in zip([y, *grads], [y_ref, *grads_ref]):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-4)
