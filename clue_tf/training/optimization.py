"""Google's optimizer set-up as Keras parts: AdamWeightDecay or LAMB, warmup then linear decay.

Google's `AdamWeightDecayOptimizer` (BERT) and ALBERT's `LAMBOptimizer` are Adam without
bias correction: update = m / (sqrt(v) + eps) + decay * w, applied at the schedule's rate
(LAMB scales it by ||w|| / ||update|| first). Keras's AdamW and Lamb correct the moments'
bias, which makes early steps smaller by sqrt(1 - 0.999^t) -- 0.41 at step 187, 0.79 at
625 -- so fine-tuning lengths never leave that regime; Keras has no switch for it, hence the
two small optimizers below. Both keep Keras's weight-decay exclusion (names containing
gamma, beta or bias: Google's "LayerNorm", "layer_norm", "bias"). The Keras optimizers stay
available as "adamw_keras" / "lamb_keras". The schedule is Google's: linear warmup from 0,
then polynomial (linear) decay to 0, the rate at step t used for update t+1. Clipping is
Google's global norm of the whole (summed) gradient, done inside the optimizer right after
its one all-reduce: Keras's own `global_clipnorm` clips each replica's partial gradient
before the reduce, and clipping in the training loop would cost a second all-reduce.
"""

import math
from typing import Optional

import keras
import numpy as np
import tensorflow as tf
from keras import ops

NO_WEIGHT_DECAY = ["gamma", "beta", "bias"]  # LayerNorm scale/offset and every bias
CLIP_NORM = 1.0
OPTIMIZERS = ("adamw", "lamb", "adamw_keras", "lamb_keras")


class ClipAfterAllReduce:
    """Optimizer mixin: clips the all-reduced gradient by its global norm (`clip_norm`), so
    one all-reduce per step serves both, on one device and on many (fit or a custom loop)."""

    clip_norm = None

    def _all_reduce_sum_gradients(self, grads_and_vars):
        grads_and_vars = list(super()._all_reduce_sum_gradients(grads_and_vars))
        if self.clip_norm is None:
            return grads_and_vars
        present = [i for i, (gradient, _) in enumerate(grads_and_vars) if gradient is not None]
        clipped, _ = tf.clip_by_global_norm([grads_and_vars[i][0] for i in present], self.clip_norm)
        for i, gradient in zip(present, clipped):
            grads_and_vars[i] = (gradient, grads_and_vars[i][1])
        return grads_and_vars


class ClippedAdamW(ClipAfterAllReduce, keras.optimizers.AdamW):
    """Keras's AdamW with Google's global-norm clipping after the all-reduce."""


class ClippedLamb(ClipAfterAllReduce, keras.optimizers.Lamb):
    """Keras's Lamb with Google's global-norm clipping after the all-reduce."""


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


def _kernel_moment_scale(beta: float) -> float:
    """How much larger ApplyAdam's moment is than Google's: (1 - float32(beta)) / float32(1 - beta)."""
    beta32 = float(np.float32(beta))
    return (1.0 - beta32) / float(np.float32(1.0 - beta))


class _GoogleAdamBase(ClipAfterAllReduce, keras.optimizers.Optimizer):
    """Adam moments without bias correction, decay added to the update (Google's form)."""

    def __init__(self, learning_rate, decay_rate: float = 0.01, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-6, name: str = "google_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.decay_rate, self.beta_1, self.beta_2, self.epsilon = decay_rate, beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._v = self.add_optimizer_variables(var_list, ["m", "v"])

    def _update(self, gradient, variable):
        """Google's update before the learning rate: m / (sqrt(v) + eps) + decay * w."""
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        m, v = self._m[index], self._v[index]
        self.assign(m, ops.add(ops.multiply(m, self.beta_1), ops.multiply(gradient, 1.0 - self.beta_1)))
        self.assign(v, ops.add(ops.multiply(v, self.beta_2), ops.multiply(ops.square(gradient), 1.0 - self.beta_2)))
        update = ops.divide(m, ops.add(ops.sqrt(v), self.epsilon))
        if self.decay_rate and self._use_weight_decay(variable):
            update = ops.add(update, ops.multiply(variable, self.decay_rate))
        return update

    def get_config(self):
        config = super().get_config()
        config.update(decay_rate=self.decay_rate, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="clue_tf")
class AdamWeightDecay(_GoogleAdamBase):
    """Google BERT's AdamWeightDecayOptimizer: w -= lr * (m / (sqrt(v) + eps) + decay * w);
    `fused` runs float32 weights' step as one TensorFlow kernel (False: op by op, same weights)."""

    def __init__(self, learning_rate, name: str = "adam_weight_decay", fused: bool = True, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.fused = fused

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        if not (self.fused and self._apply_fused(gradient, variable, lr)):
            self.assign_sub(variable, ops.multiply(lr, self._update(gradient, variable)))

    def _apply_fused(self, gradient, variable, lr) -> bool:
        """Google's Adam step as TensorFlow's one-pass ApplyAdam kernel (about half the time of the
        op-by-op form), decay first from the old weight; False for weights that are not float32.

        The kernel weighs the new gradient by float32 `1 - beta`, where Google's code weighs it by
        `1 - beta` rounded from double: 1 - float32(0.999) is 1.3e-5 below float32(0.001). So the
        kernel's slots hold Google's moments times (1 - float32(beta)) / float32(1 - beta) exactly,
        and the step's rate and epsilon carry the inverse factors: the weights follow Google's.
        """
        variable = variable.value if isinstance(variable, keras.Variable) else variable
        if variable.dtype != tf.float32:
            return False
        index = self._get_variable_index(variable)
        m, v = self._m[index].value, self._v[index].value
        if self.decay_rate and self._use_weight_decay(variable):
            variable.assign_sub(variable * (lr * self.decay_rate))
        m_scale, v_scale = (_kernel_moment_scale(beta) for beta in (self.beta_1, self.beta_2))
        # Both beta powers 0: ApplyAdam's bias correction sqrt(1 - 0) / (1 - 0) is 1, Google's form.
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=m.handle, v=v.handle, beta1_power=tf.constant(0.0), beta2_power=tf.constant(0.0),
            lr=lr * (math.sqrt(v_scale) / m_scale), beta1=tf.constant(self.beta_1), beta2=tf.constant(self.beta_2),
            epsilon=tf.constant(self.epsilon * math.sqrt(v_scale)), grad=tf.convert_to_tensor(ops.cast(gradient, tf.float32)))
        return True

    def get_config(self):
        return {**super().get_config(), "fused": self.fused}


@keras.saving.register_keras_serializable(package="clue_tf")
class GoogleLamb(_GoogleAdamBase):
    """ALBERT's LAMBOptimizer: Google's update scaled by ||w|| / ||update|| (1 where either
    is 0, and for the weights excluded from decay)."""

    def __init__(self, learning_rate, name: str = "lamb", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        update = self._update(gradient, variable)
        if self._use_weight_decay(variable):  # layer adaptation excludes what decay excludes
            w_norm, u_norm = ops.norm(ops.reshape(variable, [-1])), ops.norm(ops.reshape(update, [-1]))
            ratio = ops.where(w_norm > 0, ops.where(u_norm > 0, w_norm / u_norm, 1.0), 1.0)
            update = ops.multiply(update, ratio)
        self.assign_sub(variable, ops.multiply(lr, update))


def make_optimizer(name: str, learning_rate: float, total_steps: int, warmup_steps: int,
                   weight_decay: float = 0.01, clip_norm: Optional[float] = CLIP_NORM) -> keras.optimizers.Optimizer:
    """Google's optimizers ("adamw": BERT's, "lamb": ALBERT's) or Keras's bias-corrected ones
    ("adamw_keras", "lamb_keras"), each clipping the summed gradient at `clip_norm`."""
    schedule = WarmupLinearDecay(learning_rate, total_steps, warmup_steps)
    common = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-6)
    if name == "adamw":
        optimizer = AdamWeightDecay(schedule, decay_rate=weight_decay, **common)
    elif name == "lamb":
        optimizer = GoogleLamb(schedule, decay_rate=weight_decay, **common)
    elif name == "adamw_keras":
        optimizer = ClippedAdamW(schedule, weight_decay=weight_decay, **common)
    elif name == "lamb_keras":
        optimizer = ClippedLamb(schedule, weight_decay=weight_decay, **common)
    else:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    optimizer.clip_norm = clip_norm
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    return optimizer
