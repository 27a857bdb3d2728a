"""GELU in its two forms, and a training twin of each that keeps only its input for the
backward pass.

Autodiff through `tf.nn.gelu`'s ops keeps four more [tokens, intermediate] tensors per
feed-forward layer (x cubed, the tanh, 0.5 x and 1 + tanh) until the backward pass; the
twin computes the same value and returns the derivative from x alone, recomputing the tanh
(or erfc) there: about 120 MB less per layer at base size, batch 32, seq 128, float32.
Inference runs the plain form, the pattern oneDNN fuses with its matmul (models/projections.py).
"""

import math

import tensorflow as tf

_C = math.sqrt(2.0 / math.pi)
_K = 0.044715


def gelu_tanh(x):
    """Google's BERT "gelu": the tanh approximation (tf.nn.gelu's ops)."""
    return tf.nn.gelu(x, approximate=True)


def gelu_erf(x):
    """The exact GELU, x Phi(x) (HF's "gelu")."""
    return tf.nn.gelu(x, approximate=False)


@tf.custom_gradient
def gelu_tanh_lean(x):
    """gelu_tanh's value; its gradient from x alone."""

    def gradient(dy):
        c, k = tf.cast(_C, x.dtype), tf.cast(_K, x.dtype)
        square = x * x
        t = tf.tanh(c * (x + k * square * x))
        return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * k * square))

    return gelu_tanh(x), gradient


@tf.custom_gradient
def gelu_erf_lean(x):
    """gelu_erf's value; its gradient from x alone."""

    def gradient(dy):
        cdf = 0.5 * tf.math.erfc(-x * tf.cast(1.0 / math.sqrt(2.0), x.dtype))
        pdf = tf.exp(-0.5 * x * x) * tf.cast(1.0 / math.sqrt(2.0 * math.pi), x.dtype)
        return dy * (cdf + x * pdf)

    return gelu_erf(x), gradient


_LEAN = {gelu_tanh: gelu_tanh_lean, gelu_erf: gelu_erf_lean}


def for_training(activation):
    """The lean-gradient twin of our GELUs; any other activation as it is."""
    return _LEAN.get(activation, activation)
