"""The closed-form GELU and LayerNorm gradients against autodiff in float64 (the oracle):
no less accurate than float32 autodiff (and the GELU twins' compiled forward than
TensorFlow's ops), and the models' training graphs on CPU-only machines run the
XLA-compiled GELU gradient."""

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from clue_tf.models import gelu
from clue_tf.models.bert.family import BERT
from clue_tf.models.by_size import onednn_cpu_graph
from clue_tf.models.closed_form_gradients import layer_norm_gradient
from tests.models.test_recompute import CONFIG

TWINS = [(gelu.gelu_tanh_fused, True), (gelu.gelu_erf_fused, False)]


def worst_error(got, exact) -> float:
    return float(np.max(np.abs(np.asarray(got, np.float64) - exact)))


@pytest.mark.parametrize("twin, approximate", TWINS)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_gelu_gradient_is_as_accurate_as_autodiff(twin, approximate, dtype):
    x = tf.constant(np.linspace(-6.0, 6.0, 2001), dtype)
    x64 = tf.cast(x, tf.float64)  # the same points, exactly
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, x64])
        reference = tf.nn.gelu(x, approximate=approximate)
        value = twin(x)
        exact = tf.nn.gelu(x64, approximate=approximate)
    # The twin's forward pass (XLA-compiled on CPU) is as accurate as TensorFlow's ops.
    exact_value = exact.numpy()
    assert worst_error(value, exact_value) <= max(1.5 * worst_error(reference, exact_value), 2e-7)
    exact_gradient = tape.gradient(exact, x64).numpy()
    autodiff = worst_error(tf.cast(tape.gradient(reference, x), tf.float64), exact_gradient)
    ours = worst_error(tf.cast(tape.gradient(value, x), tf.float64), exact_gradient)
    assert ours <= max(1.5 * autodiff, 2e-7), (ours, autodiff)


@pytest.mark.parametrize("shape", [[5, 32], [3, 7, 32], [64, 768]])
def test_layer_norm_gradient_is_as_accurate_as_autodiff(shape):
    rng = np.random.default_rng(len(shape))
    x, upstream = rng.normal(1.0, 3.0, shape), rng.normal(0.0, 1.0, shape)
    gamma, beta = rng.uniform(0.5, 1.5, shape[-1]), rng.normal(0.0, 0.1, shape[-1])

    def keras_autodiff(dtype):
        inputs = [tf.constant(a, dtype) for a in (x, gamma, beta)]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y = ops.layer_normalization(*inputs, -1, 1e-12)
        return [g.numpy().astype(np.float64) for g in tape.gradient(y, inputs, tf.constant(upstream, dtype))]

    exact, autodiff = keras_autodiff(tf.float64), keras_autodiff(tf.float32)
    ours = layer_norm_gradient(*(tf.constant(a, tf.float32) for a in (x, gamma, upstream)), 1e-12)
    for got, theirs, truth in zip(ours, autodiff, exact):
        assert got.shape == truth.shape
        scale = np.max(np.abs(truth))
        assert worst_error(got, truth) <= max(1.5 * worst_error(theirs, truth), 2e-7 * scale)


@pytest.mark.skipif(not tf.function(onednn_cpu_graph)(),
                    reason="the XLA-compiled GELU gradient is for CPU-only oneDNN machines")
def test_training_graph_runs_the_compiled_gelu_gradient_and_eager_the_recomputing_one():
    model = BERT.build(CONFIG, ("classifier",), 3)
    ids = np.ones([2, 8], "int32")
    inputs = {"token_ids": ids, "segment_ids": 0 * ids, "padding_mask": ids}

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(inputs, training=True))
        return tape.gradient(loss, model.trainable_weights)

    step()
    graph_def = step.get_concrete_function().graph.as_graph_def()
    compiled = [f for f in graph_def.library.function
                if f.attr.get("_XlaMustCompile", None) is not None and f.attr["_XlaMustCompile"].b]
    assert any("gelu_tanh_gradient" in f.signature.name for f in compiled)
    assert gelu.for_training(gelu.gelu_tanh) is gelu.gelu_tanh_lean  # eager: no XLA call per op
