"""Attention's query/key/value/output projections as one 2-D matmul, for the models' own layers.

Keras's MultiHeadAttention projects with EinsumDense (`abc,cde->abde`, `abcd,cde->abe`);
TensorFlow runs those einsums as batched matmuls whose kernel gradient is formed per batch
row and then summed. Reshaping to [tokens, width] and multiplying once is the same
arithmetic as Google's BERT (a dense layer on a 2-D tensor) and is faster on CPUs
(`benchmarks/profile_pretraining_step.py --mode=finetune` shows the summed einsum gradients).
Weights, names and configs are untouched: a saved model holds plain EinsumDense layers.
"""

import math
import types

import keras
import tensorflow as tf

from clue_tf.private_api import inner_layers

CONTRACTED_AXES = {"abc,cde->abde": 1, "abcd,cde->abe": 2}  # the equations attention uses


def _call(self, inputs, training=None):
    if getattr(self, "quantization_mode", None) or getattr(self, "lora_enabled", False):
        return keras.layers.EinsumDense.call(self, inputs, training=training)
    contracted = CONTRACTED_AXES[self.equation]
    kernel = self.kernel
    width = math.prod(kernel.shape[:contracted])
    outputs = tf.matmul(tf.reshape(inputs, [-1, width]), tf.reshape(kernel, [width, -1]))
    if self.bias is not None:
        outputs = tf.nn.bias_add(outputs, tf.reshape(self.bias, [-1]))
    leading = tf.shape(inputs)[: len(inputs.shape) - contracted]
    outputs = tf.reshape(outputs, tf.concat([leading, list(kernel.shape[contracted:])], 0))
    if self.activation is not None:
        outputs = self.activation(outputs)
    return outputs


def use_matmul_projections(model: keras.Layer) -> keras.Layer:
    """Gives every attention-shaped EinsumDense inside `model` the 2-D matmul call; returns it."""
    if keras.backend.backend() != "tensorflow":
        return model
    for layer in inner_layers(model):
        if type(layer) is keras.layers.EinsumDense and layer.equation in CONTRACTED_AXES:
            layer.call = types.MethodType(_call, layer)
    return model
