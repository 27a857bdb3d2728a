"""Closed-form backward passes of GELU and LayerNorm, for the models' training steps.

Autodiff through a GELU or a LayerNorm is a dozen elementwise passes over [tokens, width]
(recomputing the forward pass first, where only the input is kept); on a CPU the GELUs' and
LayerNorms' backward passes took a fifth of a TNEWS fine-tuning step's kernel time
(`benchmarks/profile_pretraining_step.py --mode=finetune`). Their closed-form derivatives
take fewer passes; GELU's, a pure elementwise chain, is compiled by XLA into one loop (about
half the time of autodiff's ops on [768, 1024]; XLA compiles it once per input shape, ~40 ms
on a CPU). LayerNorm's reductions gain less from XLA than its per-shape compile costs, so it
stays TensorFlow ops.
"""

import math

import tensorflow as tf

from clue_tf.models.by_size import onednn_cpu_graph

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_CUBIC = 0.044715  # tf.nn.gelu's tanh approximation: tanh(sqrt(2/pi) (x + 0.044715 x^3))
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def fused_gelu_gradient_usable() -> bool:
    """True while tracing a graph that XLA does not already compile, on a CPU-only oneDNN
    machine (where the XLA-compiled GELU gradient was measured)."""
    return onednn_cpu_graph()


@tf.function(jit_compile=True)
def gelu_tanh_gradient(x: tf.Tensor, upstream: tf.Tensor) -> tf.Tensor:
    """upstream * d/dx of 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), in float32."""
    x32 = tf.cast(x, tf.float32)
    square = x32 * x32
    t = tf.tanh(x32 * (_SQRT_2_OVER_PI + _SQRT_2_OVER_PI * _CUBIC * square))
    du_dx = _SQRT_2_OVER_PI + 3.0 * _SQRT_2_OVER_PI * _CUBIC * square
    derivative = 0.5 * (1.0 + t) + 0.5 * x32 * (1.0 - t * t) * du_dx
    return tf.cast(tf.cast(upstream, tf.float32) * derivative, upstream.dtype)


@tf.function(jit_compile=True)
def gelu_erf_gradient(x: tf.Tensor, upstream: tf.Tensor) -> tf.Tensor:
    """upstream * d/dx of x Phi(x) = Phi(x) + x phi(x), in float32."""
    x32 = tf.cast(x, tf.float32)
    cdf = 0.5 * (1.0 + tf.math.erf(x32 * (1.0 / math.sqrt(2.0))))
    derivative = cdf + x32 * _INV_SQRT_2PI * tf.exp(-0.5 * x32 * x32)
    return tf.cast(tf.cast(upstream, tf.float32) * derivative, upstream.dtype)


def layer_norm_gradient(x: tf.Tensor, gamma: tf.Tensor, upstream: tf.Tensor, epsilon: float) -> list:
    """[dx, dgamma, dbeta] of gamma (x - mean) / sqrt(var + epsilon) + beta over the last axis
    of float32 `x` (any rank): dx = (g - mean(g) - xhat mean(g xhat)) / sqrt(var + epsilon),
    g = upstream * gamma."""
    mean, variance = tf.nn.moments(x, [-1], keepdims=True)
    inverse_std = tf.math.rsqrt(variance + epsilon)
    normalized = (x - mean) * inverse_std
    scaled = upstream * gamma
    dx = inverse_std * (scaled - tf.reduce_mean(scaled, -1, keepdims=True)
                        - normalized * tf.reduce_mean(scaled * normalized, -1, keepdims=True))
    leading = list(range(len(x.shape) - 1))
    return [dx, tf.reduce_sum(upstream * normalized, leading), tf.reduce_sum(upstream, leading)]
