"""LayerNorm on oneDNN's fused kernel on CPUs, for the models' own LayerNormalization layers.

Keras computes a LayerNorm as about ten TensorFlow ops (casts, moments, rsqrt, four
full-size multiplies and adds), each one pass over the activations; on CPUs the nine
LayerNorms of a 4-layer model took 13 % of an evaluation's op time. TensorFlow's x86 builds
carry oneDNN's one-pass layer normalization (`_MklLayerNorm`, statistics in float32), which
its graph rewrite substitutes for Keras 2's LayerNorm pattern but not for Keras 3's: 3x
faster on [3200, 256] (benchmarks/finetune_step_vs_google.py names the evaluation rate).

A layer's call emits that op when a graph is traced on a machine whose only devices are
CPUs and oneDNN is on, unless XLA compiles it (XLA fuses the LayerNorm itself), for inputs
of at least FUSED_MIN_ELEMENTS (smaller ones, as one served text, run Keras's ops); the backward
pass is LayerNorm's closed-form gradient from the input (models/closed_form_gradients.py;
autodiff of Keras's formula to float rounding, in fewer passes).
`portable_graph()` turns it off while a float SavedModel is traced, so that model
loads on any TensorFlow (GPUs, builds without oneDNN). The choice is made when a graph is
traced: a tf.function traced outside XLA and then called from an XLA-compiled one keeps the
op (XLA then refuses it); our models are called directly inside each compiled step.
"""

import contextlib
import threading
import types

import keras
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2

from clue_tf.models.by_size import by_size, onednn_cpu_graph
from clue_tf.models.closed_form_gradients import layer_norm_gradient
from clue_tf.private_api import inner_layers, registered_op

OP_TYPE = "_MklLayerNorm"
# oneDNN's kernel sets itself up on every call (~90 us on an AMD EPYC), Keras's ops take ~30 us
# plus their passes: below about 2^16 elements (one text served at base width: 25 x 768) Keras's
# ops are faster, above it oneDNN's (3x at [3200, 256]). Shapes known only at run time choose
# with a tf.cond.
FUSED_MIN_ELEMENTS = 1 << 16
_state = threading.local()


@contextlib.contextmanager
def portable_graph():
    """While active, traced LayerNorms use Keras's ops (for graphs that are saved)."""
    previous = getattr(_state, "portable", False)
    _state.portable = True
    try:
        yield
    finally:
        _state.portable = previous


def fused_kernel_usable() -> bool:
    """True while tracing a graph that XLA does not compile, on a oneDNN CPU-only machine
    whose TensorFlow has the kernel, outside `portable_graph()`."""
    if getattr(_state, "portable", False) or not onednn_cpu_graph():
        return False
    return registered_op(OP_TYPE)


def _onednn_layer_norm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float) -> tf.Tensor:
    op = tf.compat.v1.get_default_graph().create_op(  # the graph being traced: a tf.cond branch captures x
        OP_TYPE, [x, gamma, beta], [x.dtype], name="onednn_layer_norm",
        attrs={"T": attr_value_pb2.AttrValue(type=x.dtype.as_datatype_enum),
               "epsilon": attr_value_pb2.AttrValue(f=epsilon)})
    y = op.outputs[0]
    y.set_shape(x.shape)
    return y


def fused_layer_norm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float) -> tf.Tensor:
    """LayerNorm over the last axis of float32 `x` [..., width] on oneDNN's kernel; its
    gradient is the closed form from `x` (models/closed_form_gradients.py)."""

    @tf.custom_gradient
    def forward(x, gamma, beta):
        def backward(dy):
            return layer_norm_gradient(x, gamma, dy, epsilon)

        return _onednn_layer_norm(x, gamma, beta, epsilon), backward

    return forward(x, gamma, beta)


def _layer_norm_call(self, inputs):
    if not fused_kernel_usable() or len(inputs.shape) not in (2, 3):
        return keras.layers.LayerNormalization.call(self, inputs)

    # Read outside the tf.cond below: a read inside one branch is out of reach of its gradient.
    x = tf.cast(inputs, tf.float32)  # Keras's LayerNorm computes in float32 under every policy
    gamma, beta = tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32)

    def fused():
        return tf.cast(fused_layer_norm(x, gamma, beta, self.epsilon), self.compute_dtype)

    def keras_ops():
        return keras.layers.LayerNormalization.call(self, inputs)

    return by_size(inputs, FUSED_MIN_ELEMENTS, small=keras_ops, large=fused)


def _last_axis_affine(layer: keras.layers.LayerNormalization) -> bool:
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    return layer.center and layer.scale and not layer.rms_scaling and list(axis) == [-1]


def use_fused_layer_norm(model: keras.Layer) -> keras.Layer:
    """Gives every last-axis LayerNormalization inside `model` the oneDNN call; returns it."""
    if keras.backend.backend() != "tensorflow":
        return model
    for layer in inner_layers(model):
        if type(layer) is keras.layers.LayerNormalization and _last_axis_affine(layer):
            layer.call = types.MethodType(_layer_norm_call, layer)
    return model
