"""--recompute_grad: the recomputed backward pass gives the gradients of the stored one, with
dropout on (each layer's masks are drawn again from the same seed)."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from clue_tf.models import recompute
from clue_tf.models.bert.config import BertConfig
from clue_tf.models.bert.family import BERT

CONFIG = BertConfig(vocab_size=500, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                    max_position_embeddings=64, type_vocab_size=2, hidden_dropout_prob=0.3,
                    attention_probs_dropout_prob=0.3)


def loss_and_gradients(wrap_layers: bool, jit_compile: bool = False, config: BertConfig = CONFIG):
    keras.utils.set_random_seed(3)
    model = BERT.build(config, ("classifier",), 3)
    if wrap_layers:
        assert recompute.recompute_transformer_layers(model) == config.num_hidden_layers
    ids = np.random.RandomState(0).randint(1, 500, [4, 16])
    mask = np.ones_like(ids)
    mask[:, 12:] = 0
    features = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask}

    @tf.function(jit_compile=jit_compile)
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(features, training=True) ** 2)
        return loss, tape.gradient(loss, model.trainable_variables)

    loss, gradients = step()
    return float(loss), [tf.convert_to_tensor(g).numpy() for g in gradients]


def test_recomputed_gradients_equal_stored_ones_with_dropout(monkeypatch):
    loss, gradients = loss_and_gradients(wrap_layers=True)
    with monkeypatch.context() as patch:  # the same layers and seeds, activations kept instead
        patch.setattr(recompute.tf, "recompute_grad", lambda f: f)
        stored_loss, stored = loss_and_gradients(wrap_layers=True)
    plain_loss, _ = loss_and_gradients(wrap_layers=False)
    # the recomputed forward pass keeps no activations, so oneDNN may fuse its GELU into the matmul
    # (models/projections.py): the same arithmetic, rounded once less
    assert abs(loss - stored_loss) <= 1e-6 * abs(stored_loss)
    assert abs(loss - plain_loss) > 1e-3 * abs(plain_loss)  # dropout was on: other masks give another loss
    assert len(gradients) == len(stored)
    for got, expected in zip(gradients, stored):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_recompute_under_xla_gives_the_stored_gradients_with_dropout(monkeypatch):
    """--recompute_grad with --use_xla: the recomputed layers compile, and their dropout masks
    replay under XLA as in the stored pass."""
    loss, gradients = loss_and_gradients(wrap_layers=True, jit_compile=True)
    with monkeypatch.context() as patch:
        patch.setattr(recompute.tf, "recompute_grad", lambda f: f)
        stored_loss, stored = loss_and_gradients(wrap_layers=True, jit_compile=True)
    plain_loss, _ = loss_and_gradients(wrap_layers=False, jit_compile=True)
    assert abs(loss - stored_loss) <= 1e-6 * abs(stored_loss)
    assert abs(loss - plain_loss) > 1e-3 * abs(plain_loss)
    for got, expected in zip(gradients, stored):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_a_model_without_dropout_recomputes_the_plain_gradients():
    """A config with dropout 0 (Keras builds those Dropout layers without a seed generator)."""
    config = dataclasses.replace(CONFIG, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    loss, gradients = loss_and_gradients(wrap_layers=True, config=config)
    plain_loss, plain = loss_and_gradients(wrap_layers=False, config=config)
    assert abs(loss - plain_loss) <= 1e-6 * abs(plain_loss)
    for got, expected in zip(gradients, plain):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_a_model_without_transformer_layers_is_refused():
    import pytest

    from clue_tf.errors import ClueTfError

    with pytest.raises(ClueTfError, match="--recompute_grad: .* no keras-hub TransformerEncoder"):
        recompute.recompute_transformer_layers(keras.Sequential([keras.layers.Dense(2)], name="plain"))
