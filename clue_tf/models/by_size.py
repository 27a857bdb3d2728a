"""One of two graph paths by a tensor's size, for ops whose fixed per-call cost on oneDNN
outweighs their work on small inputs (models/layer_norm.py, models/fused_attention.py)."""

from typing import Callable

import tensorflow as tf


def by_size(x: tf.Tensor, threshold: int, small: Callable[[], tf.Tensor],
            large: Callable[[], tf.Tensor]) -> tf.Tensor:
    """`small()` when `x` has fewer than `threshold` elements, else `large()`: decided while
    tracing when the shape is static, by a tf.cond when it is known only at run time."""
    elements = x.shape.num_elements()
    if elements is not None:
        return small() if elements < threshold else large()
    return tf.cond(tf.size(x) < threshold, small, large)
