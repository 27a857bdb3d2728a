"""Google BERT's optimizer set-up with Keras parts: AdamW or LAMB, warmup then linear decay.

Keras has linear decay (PolynomialDecay, power 1) but no linear warmup in front of it;
`WarmupLinearDecay` adds only that. Google's AdamWeightDecayOptimizer: beta 0.9/0.999,
epsilon 1e-6, weight decay 0.01 except LayerNorm and biases, global norm clip 1.0.
(Keras's AdamW corrects the moments' bias, Google's does not; the difference fades
after the first few hundred steps.) The clip is not set on the optimizer: under a
multi-replica strategy Keras 3 clips each replica's partial gradient before summing
them, so the training loop sums first and clips the global gradient itself
(`clip_global_gradient`).
"""

import keras
import tensorflow as tf

NO_WEIGHT_DECAY = ["gamma", "beta", "bias"]  # LayerNorm scale/offset and every bias
CLIP_NORM = 1.0


@keras.saving.register_keras_serializable(package="clue_tf")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `peak` over `warmup_steps`, then linear decay to 0 at `total_steps`."""

    def __init__(self, peak: float, total_steps: int, warmup_steps: int):
        self.peak = peak
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.decay = keras.optimizers.schedules.PolynomialDecay(peak, total_steps, 0.0, power=1.0)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = self.peak * step / max(1, self.warmup_steps)
        return tf.where(step < self.warmup_steps, warmup, self.decay(step))

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps}


def make_optimizer(name: str, learning_rate: float, total_steps: int, warmup_steps: int,
                   weight_decay: float = 0.01, global_clipnorm=None) -> keras.optimizers.Optimizer:
    """`global_clipnorm` is exact on one replica only (see the module note)."""
    schedule = WarmupLinearDecay(learning_rate, total_steps, warmup_steps)
    if name == "adamw":
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=weight_decay, beta_1=0.9, beta_2=0.999,
                                           epsilon=1e-6, global_clipnorm=global_clipnorm)
    elif name == "lamb":
        optimizer = keras.optimizers.Lamb(schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-6,
                                          weight_decay=weight_decay, global_clipnorm=global_clipnorm)
    else:
        raise ValueError(f"optimizer must be adamw or lamb, got {name!r}")
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    return optimizer


def clip_global_gradient(gradients: list, replica_context) -> list:
    """Sums the replicas' gradients, clips the sum by global norm (Google's 1.0) and returns
    each replica's 1/n share, which the optimizer's own all-reduce sums back to the clipped
    global gradient. On one device this is plain clipping."""
    gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]
    gradients = replica_context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
    gradients, _ = tf.clip_by_global_norm(gradients, CLIP_NORM)
    replicas = replica_context.num_replicas_in_sync
    return [g / replicas for g in gradients]
