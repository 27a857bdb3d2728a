"""GELU in its two forms, and a training twin of each that keeps only its input for the
backward pass.

Autodiff through `tf.nn.gelu`'s ops keeps four more [tokens, intermediate] tensors per
feed-forward layer (x cubed, the tanh, 0.5 x and 1 + tanh) until the backward pass; the
twin (`tf.recompute_grad`) keeps x and runs the GELU again there: about 120 MB less per
layer at base size, batch 32, seq 128, float32, at the same speed. Inference runs the plain
form, the pattern oneDNN fuses with its matmul (models/projections.py).
"""

import tensorflow as tf


def gelu_tanh(x):
    """Google's BERT "gelu": the tanh approximation (tf.nn.gelu's ops)."""
    return tf.nn.gelu(x, approximate=True)


def gelu_erf(x):
    """The exact GELU, x Phi(x) (HF's "gelu")."""
    return tf.nn.gelu(x, approximate=False)


gelu_tanh_lean = tf.recompute_grad(gelu_tanh)
gelu_erf_lean = tf.recompute_grad(gelu_erf)

_LEAN = {gelu_tanh: gelu_tanh_lean, gelu_erf: gelu_erf_lean}


def for_training(activation):
    """The recomputing twin of our GELUs; any other activation as it is."""
    return _LEAN.get(activation, activation)
