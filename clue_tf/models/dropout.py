"""Dropout with a cheaper mask, for the models' own Keras Dropout layers.

TensorFlow's stateless_dropout (what Keras calls) draws a uniform float per element in the
input's dtype and selects; here 32 random bits per element are compared with the rate's
integer threshold and multiplied in: about half the cost of the mask
(`benchmarks/profile_pretraining_step.py` shows where a step's time goes). The rate is exact to 2^-32 (a bfloat16 uniform has 8 bits),
and the seed still comes from the layer's SeedGenerator, whose state is in checkpoints.
Configs are untouched: a saved model is a plain Keras Dropout.
Inside `replayable_seeds(seed)` each dropout takes its seed from `seed` and its order of call
instead, so a recomputed layer (models/recompute.py) draws the masks of its first run again.
"""

import contextlib
import threading
import types

import keras
import tensorflow as tf

from clue_tf.private_api import inner_layers


def bit_mask_dropout(inputs, rate: float, seed) -> tf.Tensor:
    """inputs / (1 - rate) where 32 random bits >= rate * 2^32, else 0 (stateless, int32 seed).
    A select keeps only the boolean mask for the backward pass (1 byte an element; a
    multiplied-in float mask would keep 4)."""
    bits = tf.random.stateless_uniform(tf.shape(inputs), seed=seed, minval=None, maxval=None, dtype=tf.uint32)
    scaled = inputs * tf.cast(1.0 / (1.0 - rate), inputs.dtype)
    return tf.where(bits >= int(rate * 2**32), scaled, tf.zeros([], inputs.dtype))


def seeded_keras_dropout(inputs, rate: float, noise_shape, seed) -> tf.Tensor:
    """Keras's dropout (a mask of `noise_shape`, None axes taken from `inputs`, broadcast; rate 1
    drops all) from a stateless seed, for the layers the bit mask does not cover."""
    if rate >= 1:
        return tf.zeros_like(inputs)
    shape = tf.shape(inputs)
    if noise_shape is not None:
        shape = tf.stack([shape[axis] if size is None else size for axis, size in enumerate(noise_shape)])
    return tf.nn.experimental.stateless_dropout(inputs, rate, seed=seed, noise_shape=shape)


_replay = threading.local()


@contextlib.contextmanager
def replayable_seeds(seed: tf.Tensor):
    """Dropouts called inside take seeds folded from `seed` (int32 [2]) by call order."""
    outer = getattr(_replay, "state", None)
    _replay.state = {"seed": seed, "calls": 0}
    try:
        yield
    finally:
        _replay.state = outer


def _call(self, inputs, training=False):
    if not training or self.rate == 0:
        return inputs
    replay = getattr(_replay, "state", None)
    if self.noise_shape is not None or self.rate >= 1:
        if replay is None:
            return keras.layers.Dropout.call(self, inputs, training=training)
        replay["calls"] += 1
        return seeded_keras_dropout(inputs, self.rate, self.noise_shape,
                                    tf.random.experimental.stateless_fold_in(replay["seed"], replay["calls"]))
    if replay is not None:
        replay["calls"] += 1
        return bit_mask_dropout(inputs, self.rate, tf.random.experimental.stateless_fold_in(replay["seed"],
                                                                                            replay["calls"]))
    seed = self.seed_generator.next()
    seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32)  # as Keras's TF backend casts it
    return bit_mask_dropout(inputs, self.rate, seed)


def use_bit_mask_dropout(model: keras.Model) -> keras.Model:
    """Gives every plain Dropout layer inside `model` the bit-mask call; returns the model."""
    for layer in inner_layers(model):
        if type(layer) is keras.layers.Dropout:
            layer.call = types.MethodType(_call, layer)
    return model
