"""The bit-mask dropout: the rate and scale of Keras's Dropout, masks from the layer's seed
generator, and every Dropout layer of the BERT models uses it."""

import keras
import numpy as np
import tensorflow as tf

from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.bert.heads import bert_with_heads
from clue_tf.models.dropout import _call, bit_mask_dropout, replayable_seeds


def test_drops_the_rate_and_scales_the_rest():
    x = tf.ones([1000, 1000], tf.float32)
    out = bit_mask_dropout(x, 0.1, tf.constant([3, 4], tf.int32)).numpy()
    dropped = float((out == 0).mean())
    assert abs(dropped - 0.1) < 5 * np.sqrt(0.1 * 0.9 / out.size)  # five binomial standard deviations
    np.testing.assert_allclose(out[out != 0], 1 / 0.9, rtol=1e-7)
    half = bit_mask_dropout(tf.cast(x, tf.bfloat16), 0.5, tf.constant([3, 4], tf.int32)).numpy().astype(np.float32)
    assert abs(float((half == 0).mean()) - 0.5) < 5 * np.sqrt(0.25 / half.size)


def test_masks_come_from_the_layers_seed_generator():
    layer = keras.layers.Dropout(0.3, seed=7)
    layer.call = _call.__get__(layer)
    x = tf.ones([64, 64])
    state = layer.seed_generator.state.numpy().copy()
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert (first != second).any()  # the state moved on
    layer.seed_generator.state.assign(state)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)  # the same state, the same mask
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())


def test_every_dropout_layer_of_the_bert_models_uses_it():
    encoder = BertEncoder(100, 2, 2, 16, 32, dropout=0.1, max_sequence_length=16)
    model = bert_with_heads(encoder, ("masked_lm", "classifier"), num_labels=3)
    dropouts = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dropout)]
    assert len(dropouts) >= 2 * 3 + 2  # per block: attention probs, attention output, feed-forward
    assert all(layer.call.__func__ is _call for layer in dropouts)
    assert all(type(layer) is keras.layers.Dropout for layer in dropouts)  # configs stay Keras's


def test_a_noise_shape_dropout_replays_its_mask_under_a_given_seed():
    """What --recompute_grad needs of a dropout the bit mask does not cover: the same seed, the
    same broadcast mask; another seed, another mask."""
    layer = keras.layers.Dropout(0.5, noise_shape=(None, 1, 32), seed=7)
    layer.call = _call.__get__(layer)
    x = tf.ones([4, 8, 32])

    def replayed(seed):
        with replayable_seeds(tf.constant(seed, tf.int32)):
            return layer(x, training=True).numpy()

    first = replayed([1, 2])
    np.testing.assert_array_equal(replayed([1, 2]), first)
    assert (replayed([3, 4]) != first).any()
    assert (first == first[:, :1, :]).all()  # one mask row, broadcast over the noise_shape's 1 axis
    assert set(np.unique(first)) == {0.0, 2.0}
