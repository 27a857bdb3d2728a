"""The recomputing GELUs: tf.nn.gelu's values and autodiff's gradients, used by the models'
dense layers in training only (inference keeps the form oneDNN fuses)."""

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.models import gelu, projections
from clue_tf.models.bert.family import BERT
from tests.models.test_recompute import CONFIG, loss_and_gradients

FORMS = [(gelu.gelu_tanh, gelu.gelu_tanh_lean, True), (gelu.gelu_erf, gelu.gelu_erf_lean, False)]


@pytest.mark.parametrize("plain, lean, approximate", FORMS)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_lean_gelu_has_tf_nn_gelus_value_and_gradient(plain, lean, approximate, dtype):
    x = tf.constant(np.linspace(-6.0, 6.0, 2001), dtype)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        reference = tf.nn.gelu(x, approximate=approximate)
        value = lean(x)
    np.testing.assert_array_equal(tf.cast(value, tf.float32), tf.cast(reference, tf.float32))
    np.testing.assert_array_equal(tf.cast(plain(x), tf.float32), tf.cast(reference, tf.float32))
    expected = tf.cast(tape.gradient(reference, x), tf.float64).numpy()
    got = tf.cast(tape.gradient(value, x), tf.float64).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_dense_layers_train_with_the_lean_form_and_predict_with_the_plain_one(monkeypatch):
    """A tiny BERT's training step: the same loss and gradients as autodiff through
    tf.nn.gelu, and the lean form is what ran (only while training)."""
    seen = []

    def spy(activation):
        seen.append(activation)
        return gelu.for_training(activation)

    with monkeypatch.context() as patch:
        patch.setattr(projections, "for_training", spy)
        loss, gradients = loss_and_gradients(wrap_layers=False)
    assert gelu.gelu_tanh in seen and CONFIG.hidden_act == "gelu_tanh"
    seen.clear()
    with monkeypatch.context() as patch:
        patch.setattr(projections, "for_training", spy)
        model = BERT.build(CONFIG, ("classifier",), 3)
        ids = np.ones([2, 8], "int32")
        model({"token_ids": ids, "segment_ids": 0 * ids, "padding_mask": ids}, training=False)
    assert not seen
    with monkeypatch.context() as patch:
        patch.setattr(projections, "for_training", lambda activation: activation)
        plain_loss, plain = loss_and_gradients(wrap_layers=False)
    assert abs(loss - plain_loss) <= 1e-6 * abs(plain_loss)
    for got, expected in zip(gradients, plain):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
