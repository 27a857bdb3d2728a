"""GELU in its two forms, and training twins of each that keep only the input for the
backward pass.

Autodiff through `tf.nn.gelu`'s ops keeps four more [tokens, intermediate] tensors per
feed-forward layer (x cubed, the tanh, 0.5 x and 1 + tanh) until the backward pass; a twin
keeps x alone: about 120 MB less per layer at base size, batch 32, seq 128, float32. On a
CPU-only machine the twin's forward pass is the GELU and its backward pass the closed-form
derivative (models/closed_form_gradients.py), each one XLA-fused loop (the forward's six
TensorFlow ops took 2-4.6x as long: [800, 1024] 1.1 ms against 0.53, [4096, 3072] 17.5 against
3.8 on an AMD EPYC); elsewhere `tf.recompute_grad` runs the GELU again there.
Inference runs the plain form, the pattern oneDNN fuses with its matmul (models/projections.py).
"""

import tensorflow as tf

from clue_tf.models.closed_form_gradients import fused_gelu_gradient_usable, gelu_erf_gradient, gelu_tanh_gradient


def gelu_tanh(x):
    """Google's BERT "gelu": the tanh approximation (tf.nn.gelu's ops)."""
    return tf.nn.gelu(x, approximate=True)


def gelu_erf(x):
    """The exact GELU, x Phi(x) (HF's "gelu")."""
    return tf.nn.gelu(x, approximate=False)


def _with_fused_gradient(activation, gradient):
    """`activation` whose backward pass is `gradient(x, upstream)`, keeping only x."""

    @tf.custom_gradient
    def twin(x):
        return activation(x), lambda upstream: gradient(x, upstream)

    return twin


gelu_tanh_lean = tf.recompute_grad(gelu_tanh)
gelu_erf_lean = tf.recompute_grad(gelu_erf)
# The same ops compiled by XLA into one loop (per input shape, once): the twins' forward pass,
# whose input the backward pass keeps, so oneDNN could not fuse it with its matmul anyway.
gelu_tanh_compiled = tf.function(gelu_tanh, jit_compile=True)
gelu_erf_compiled = tf.function(gelu_erf, jit_compile=True)
gelu_tanh_fused = _with_fused_gradient(gelu_tanh_compiled, gelu_tanh_gradient)
gelu_erf_fused = _with_fused_gradient(gelu_erf_compiled, gelu_erf_gradient)

_LEAN = {gelu_tanh: gelu_tanh_lean, gelu_erf: gelu_erf_lean}
_FUSED = {gelu_tanh: gelu_tanh_fused, gelu_erf: gelu_erf_fused}


def for_training(activation):
    """The twin of our GELUs that keeps only x (chosen while tracing: the XLA-fused backward
    pass on CPU-only machines, recomputation elsewhere); any other activation as it is."""
    twins = _FUSED if fused_gelu_gradient_usable() else _LEAN
    return twins.get(activation, activation)
