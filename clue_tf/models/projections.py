"""Attention's projections and the feed-forward Dense layers as one 2-D matmul each, for the
models' own layers.

Keras's MultiHeadAttention projects with EinsumDense (`abc,cde->abde`, `abcd,cde->abe`);
TensorFlow runs those einsums as batched matmuls whose kernel gradient is formed per batch
row and then summed. Keras's Dense on [batch, tokens, width] runs a tensordot, then adds the
bias and applies the activation as separate ops. Reshaping to [tokens, width], multiplying
once and adding the bias with `bias_add` before the activation is the same arithmetic as
Google's BERT (a dense layer on a 2-D tensor), and it is the pattern oneDNN's graph rewrite
fuses into one op (matmul, bias and GELU), faster on CPUs in training
(`benchmarks/profile_pretraining_step.py --mode=finetune`) and more so in evaluation, where
the unfused GELU cost more than its matmul. Weights, names and configs are untouched: a saved
model holds plain EinsumDense and Dense layers.
"""

import math
import types

import keras
import tensorflow as tf

from clue_tf.models.gelu import for_training
from clue_tf.private_api import inner_layers

CONTRACTED_AXES = {"abc,cde->abde": 1, "abcd,cde->abe": 2}  # the equations attention uses


def _matmul(layer, inputs, kernel, contracted: int, training=None):
    """inputs [..., contracted dims] times kernel [contracted dims, output dims] as one 2-D
    matmul, then bias and activation on the 2-D product (the order oneDNN fuses); in training
    a GELU keeps only its input for the backward pass (models/gelu.py)."""
    width = math.prod(kernel.shape[:contracted])
    outputs = tf.matmul(tf.reshape(inputs, [-1, width]), tf.reshape(kernel, [width, -1]))
    if layer.bias is not None:
        outputs = tf.nn.bias_add(outputs, tf.reshape(layer.bias, [-1]))
    if layer.activation is not None:
        outputs = (for_training(layer.activation) if training else layer.activation)(outputs)
    leading = tf.shape(inputs)[: len(inputs.shape) - contracted]
    return tf.reshape(outputs, tf.concat([leading, list(kernel.shape[contracted:])], 0))


def plain_kernel(layer) -> bool:
    """Neither quantized nor LoRA: the layer's kernel is one stored tensor."""
    return not (getattr(layer, "quantization_mode", None) or getattr(layer, "lora_enabled", False))


def _einsum_call(self, inputs, training=None):
    if not plain_kernel(self):
        return keras.layers.EinsumDense.call(self, inputs, training=training)
    return _matmul(self, inputs, self.kernel, CONTRACTED_AXES[self.equation], training)


def _dense_call(self, inputs, training=None):
    if not plain_kernel(self) or len(inputs.shape) < 2:
        return keras.layers.Dense.call(self, inputs, training=training)
    return _matmul(self, inputs, self.kernel, 1, training)


def use_matmul_projections(model: keras.Layer) -> keras.Layer:
    """Gives every attention-shaped EinsumDense and every Dense inside `model` the 2-D matmul
    call; returns it."""
    if keras.backend.backend() != "tensorflow":
        return model
    for layer in inner_layers(model):
        if type(layer) is keras.layers.EinsumDense and layer.equation in CONTRACTED_AXES:
            layer.call = types.MethodType(_einsum_call, layer)
        elif type(layer) is keras.layers.Dense:
            layer.call = types.MethodType(_dense_call, layer)
    return model
