"""One of two graph paths by a tensor's size, for ops whose fixed per-call cost on oneDNN
outweighs their work on small inputs (models/layer_norm.py, models/fused_attention.py).

Only where every op runs on a oneDNN CPU: on a machine with a GPU or TPU a run-time tf.cond
would wait for the device, and the choice is about oneDNN's kernels anyway.
"""

import functools
from typing import Callable

import tensorflow as tf

from clue_tf.private_api import gradient_tape_recording, in_xla_context, onednn_enabled


@functools.cache
def _onednn_cpu_machine() -> bool:
    return onednn_enabled() and not any(tf.config.list_logical_devices(kind) for kind in ("GPU", "TPU"))


def onednn_cpu_graph() -> bool:
    """True while tracing a graph that XLA does not compile, on a machine whose only devices
    are CPUs and whose TensorFlow runs oneDNN's kernels."""
    return not tf.executing_eagerly() and not in_xla_context() and _onednn_cpu_machine()


def by_size(x: tf.Tensor, threshold: int, small: Callable[[], tf.Tensor],
            large: Callable[[], tf.Tensor]) -> tf.Tensor:
    """`small()` when `x` has fewer than `threshold` elements, else `large()`: decided while
    tracing when the shape is static, by a tf.cond when it is known only at run time.

    Under a recording gradient tape (a training step) an unknown shape takes `large()`:
    training batches are large, and autodiff through a tf.cond traces both branches'
    gradients (about 1.5 s of a tiny model's first fine-tuning step, nine LayerNorms)."""
    elements = x.shape.num_elements()
    if elements is not None:
        return small() if elements < threshold else large()
    if gradient_tape_recording():
        return large()
    return tf.cond(tf.size(x) < threshold, small, large)
