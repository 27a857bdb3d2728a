"""int8 serving weights: the encoder's dense layers multiply int8 x int8 on oneDNN's kernel.

Weights are int8 with one scale per output unit (Keras's `quantize("int8")` does the
bookkeeping and drops the float kernel, so those weights are 4x smaller); activations are
quantized per token at run time. Keras's own int8 call multiplies with TensorFlow's generic
integer MatMul, a third of float32's speed on x86 (`benchmarks/serving_throughput.py` names
the rates); TensorFlow's oneDNN `QuantizedMatMulWithBiasAndDequantize` runs u8 x s8 with
VNNI / AMX at 2-3x float32, so the call is replaced by one on that op (Keras's __call__
dispatches a quantized layer to `quantized_call`; tests/serving/test_int8.py fails if it
stops). The op has a CPU kernel only (TensorFlow's x86 oneDNN builds): int8 is for CPUs.

The int8 kernels enter the traced graph as constants, as a frozen TF1 serving graph held its
weights: oneDNN keeps its reordered copy of a constant weight between calls but reorders a
variable's on every call, which at one short text was half the time (BERT-base batch-1 p50
42.7 -> 23.6 ms on an AMD EPYC). Their per-unit scales are constants too (the graph folds
their reciprocals once instead of reading and dividing per call; Keras's scale variables stay
in the checkpoint). So a quantized layer serves, it does not train.
"""

import math
import types

import keras
import numpy as np
import tensorflow as tf

from clue_tf.errors import ClueTfError
from clue_tf.models.projections import CONTRACTED_AXES
from clue_tf.private_api import inner_layers

OP_NAME = "QuantizedMatMulWithBiasAndDequantize"


def int8_matmul(x: tf.Tensor, kernel: tf.Tensor, kernel_scale: tf.Tensor, kernel_sum: tf.Tensor) -> tf.Tensor:
    """`x @ (kernel / kernel_scale)` for float `x` [M, K], int8 `kernel` [K, N], Keras's
    per-unit `kernel_scale` [N] and `kernel_sum` (the kernel's column sums, [N]).

    Each row of `x` is divided by its largest magnitude and stored as 128 + round(127 x) in
    uint8 (steps of 1/127, zero exact); the op's bias (-128/127 kernel_sum) takes the offset
    back out, and the row's magnitude and the unit's scale are multiplied back in afterwards."""
    row_max = tf.maximum(tf.reduce_max(tf.abs(x), axis=1, keepdims=True), 1e-12)
    steps = tf.cast(tf.round(x * (127.0 / row_max)) + 128.0, tf.uint8)
    product = tf.raw_ops.QuantizedMatMulWithBiasAndDequantize(
        a=tf.bitcast(steps, tf.quint8), b=tf.bitcast(kernel, tf.qint8), bias=kernel_sum * (-128.0 / 127.0),
        min_a=0.0, max_a=255.0 / 127.0, min_b=-127.0, max_b=127.0, min_freezed_output=-1.0, max_freezed_output=1.0,
        Toutput=tf.float32, input_quant_mode="SCALED")
    return product * row_max * (1.0 / kernel_scale)


def _contracted_axes(layer: keras.Layer) -> int:
    return CONTRACTED_AXES[layer.equation] if isinstance(layer, keras.layers.EinsumDense) else 1


def _int8_operands(layer: keras.Layer) -> tuple:
    """The layer's int8 kernel as [width, units], its column sums and its per-unit scale
    (numpy): constants of the traced graph, which folds the scale's reciprocal once."""
    contracted = _contracted_axes(layer)
    width = math.prod(list(layer.kernel.shape)[:contracted])
    kernel = np.asarray(layer.kernel).reshape(width, -1)
    return kernel, kernel.astype(np.float32).sum(0), np.asarray(layer.kernel_scale, np.float32).reshape(-1)


def _int8_call_for(layer: keras.Layer):
    """The replacement for `layer.quantized_call`: the int8 kernel [width, units], its
    column sums and scales as graph constants (made when traced, not captured)."""
    contracted = _contracted_axes(layer)
    kernel_shape = list(layer.kernel.shape)
    kernel, kernel_sum, kernel_scale = layer.int8_operands
    width = kernel.shape[0]

    def quantized_call(self, inputs, training=None):
        outputs = int8_matmul(tf.reshape(inputs, [-1, width]), tf.constant(kernel), tf.constant(kernel_scale),
                              tf.constant(kernel_sum))
        if self.bias is not None:
            outputs = tf.nn.bias_add(outputs, tf.reshape(self.bias, [-1]))
        leading = tf.shape(inputs)[: len(inputs.shape) - contracted]
        outputs = tf.reshape(outputs, tf.concat([leading, kernel_shape[contracted:]], 0))
        return self.activation(outputs) if self.activation is not None else outputs

    return quantized_call


def stacked_int8_product(layers: list, inputs_2d: tf.Tensor) -> tf.Tensor:
    """`inputs_2d` times the int8 kernels of `layers` side by side, plus their biases: one
    oneDNN call for the attention's query, key and value (models/fused_attention.py). Each
    unit keeps its own scale and each row its own magnitude, so the product equals the
    layers' separate ones."""
    kernel = np.concatenate([layer.int8_operands[0] for layer in layers], axis=1)
    kernel_sum, kernel_scale = (np.concatenate([layer.int8_operands[i] for layer in layers]) for i in (1, 2))
    product = int8_matmul(inputs_2d, tf.constant(kernel), tf.constant(kernel_scale), tf.constant(kernel_sum))
    if all(layer.bias is not None for layer in layers):
        product = tf.nn.bias_add(product, tf.concat([tf.reshape(layer.bias, [-1]) for layer in layers], 0))
    elif any(layer.bias is not None for layer in layers):
        raise ClueTfError(f"{layers[0].name}: int8 attention projections with and without biases")
    return product


def quantizable_layers(encoder: keras.Layer) -> list:
    """The encoder's Dense layers and attention projections (embeddings, norms, attention
    scores and heads outside the encoder stay float32)."""
    return [layer for layer in inner_layers(encoder)
            if type(layer) is keras.layers.Dense
            or (type(layer) is keras.layers.EinsumDense and layer.equation in CONTRACTED_AXES)]


def check_int8_support() -> None:
    """One line when this TensorFlow build has no oneDNN int8 matmul (GPU or non-x86 builds)."""
    x = tf.zeros([1, 1])
    try:
        int8_matmul(x, tf.zeros([1, 1], tf.int8), tf.ones([1]), tf.zeros([1]))
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
        raise ClueTfError(f"--precision=int8: this TensorFlow build has no CPU kernel for {OP_NAME} "
                          f"(x86 oneDNN builds have it): {str(e).splitlines()[0]}") from None


def quantize_encoder_int8(encoder: keras.Layer) -> list:
    """Makes every quantizable layer of `encoder` int8 in place, for serving; returns their
    int8 kernel variables, which the calls no longer read (the graph holds them)."""
    if keras.backend.backend() != "tensorflow":
        raise ClueTfError("--precision=int8 needs the TensorFlow backend")
    check_int8_support()
    layers = quantizable_layers(encoder)
    for layer in layers:
        if layer.quantization_mode is None:
            layer.quantize("int8")
        layer.int8_operands = _int8_operands(layer)
        layer.quantized_call = types.MethodType(_int8_call_for(layer), layer)
        if type(layer) is keras.layers.EinsumDense and layer.equation == "abc,cde->abde":
            layer.stacked_product = stacked_int8_product
    return [layer.kernel for layer in layers]
