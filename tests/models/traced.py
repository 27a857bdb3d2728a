"""A layer's outputs and gradients inside tf.function, where TensorFlow's graph rewrites (and
our graph-only calls) apply, with the op types of the traced graph."""

import numpy as np
import tensorflow as tf


def outputs_and_gradients(layer, inputs) -> tuple[list, set]:
    """([outputs, d/d inputs, d/d each trainable weight] as float32 arrays, traced op types)
    for a loss that weighs every output differently."""

    @tf.function
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * tf.cos(tf.cast(y, tf.float32)))
        return y, tape.gradient(loss, [x, *layer.trainable_weights])

    y, grads = run(inputs)
    op_types = {op.type for op in run.get_concrete_function(inputs).graph.get_operations()}
    return [np.asarray(t.numpy(), np.float32) for t in (y, *grads)], op_types
