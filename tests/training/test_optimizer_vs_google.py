"""Our optimizers against Google's own: BERT's optimization.create_optimizer (AdamWeightDecay,
warmup + linear decay, clip at global norm 1.0) and ALBERT's LAMBOptimizer, in a subprocess."""

import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.training.optimization import CLIP_NORM, WarmupLinearDecay, make_optimizer
from tests.checkpoints.google_models import require_google_bert
from tests.helpers import finish_oracle, start_oracle

STEPS, TOTAL, WARMUP, LR = 50, 60, 10, 1e-2
# Google's names and ours for the same roles: decay applies to kernels and embeddings only.
VARIABLES = {"layer/dense/kernel": ("kernel", (6, 4)), "layer/dense/bias": ("bias", (4,)),
             "layer/LayerNorm/gamma": ("gamma", (4,)), "layer/LayerNorm/beta": ("beta", (4,)),
             "embeddings/word_embeddings": ("embeddings", (9, 4))}


def google_run(kind: str, data: dict) -> dict:
    require_google_bert()
    if kind == "lamb":
        pytest.importorskip("albert", reason="needs albert-tensorflow==1.1 (test extra)")
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp, "in.npz"), **data)
        finish_oracle(start_oracle("google_bert.py", "optimizer", str(Path(tmp, "in.npz")),
                                   str(Path(tmp, "out.npz")), kind, env={"TF_USE_LEGACY_KERAS": "1"}))
        return dict(np.load(Path(tmp, "out.npz")))


def problem(seed: int = 0) -> dict:
    """Initial values and 50 gradients; some steps small (unclipped), most clipped."""
    rng = np.random.default_rng(seed)
    data = {"names": np.array(list(VARIABLES)), "learning_rate": LR, "total_steps": TOTAL, "warmup_steps": WARMUP}
    scales = np.where(np.arange(STEPS) % 5 == 0, 0.02, 1.0)
    for name, (_, shape) in VARIABLES.items():
        data[f"init/{name}"] = rng.normal(0, 0.5, shape).astype(np.float32)
        data[f"gradients/{name}"] = (rng.normal(0, 1, (STEPS, *shape)) * scales.reshape(-1, *[1] * len(shape))
                                     ).astype(np.float32)
    return data


def our_run(kind: str, data: dict, fused: bool = True) -> dict:
    variables = [keras.Variable(data[f"init/{n}"], name=ours) for n, (ours, _) in VARIABLES.items()]
    optimizer = make_optimizer(kind, LR, TOTAL, WARMUP)
    if kind == "adamw":
        optimizer.fused = fused
    after = {n: [] for n in VARIABLES}
    clipped_steps = 0
    for step in range(STEPS):
        gradients = [tf.constant(data[f"gradients/{n}"][step]) for n in VARIABLES]
        clipped_steps += int(tf.linalg.global_norm(gradients) > CLIP_NORM)  # the optimizer clips these
        optimizer.apply_gradients(zip(gradients, variables))
        for n, v in zip(VARIABLES, variables):
            after[n].append(v.numpy())
    assert 0 < clipped_steps < STEPS  # both regimes exercised
    return {n: np.stack(values) for n, values in after.items()}


@pytest.mark.parametrize("kind,fused", [("adamw", True), ("adamw", False), ("lamb", False)])
def test_fifty_steps_equal_googles_optimizer(kind, fused):
    data = problem()
    theirs, ours = google_run(kind, data), our_run(kind, data, fused)
    for name in VARIABLES:
        np.testing.assert_allclose(ours[name], theirs[f"after/{name}"], atol=1e-6, rtol=0, err_msg=name)
    schedule = WarmupLinearDecay(LR, TOTAL, WARMUP)
    np.testing.assert_allclose([float(schedule(step)) for step in range(STEPS)], theirs["learning_rates"],
                               atol=1e-9, rtol=1e-6)


def test_keras_adamw_is_the_bias_corrected_alternative():
    """The Keras optimizer differs from Google's where bias correction matters (early steps)."""
    data = problem()
    google, keras_adamw = our_run("adamw", data), our_run("adamw_keras", data)
    name = "layer/dense/kernel"
    assert np.abs(google[name][WARMUP] - keras_adamw[name][WARMUP]).max() > 1e-3


@pytest.mark.parametrize("fused,kernel_count", [(True, len(VARIABLES)), (False, 0)])
def test_fused_adam_is_one_kernel_per_float32_weight(fused, kernel_count):
    """The fused step really runs TensorFlow's ApplyAdam (the parity test above holds either way)."""
    variables = [keras.Variable(np.ones(shape, np.float32), name=ours) for ours, shape in VARIABLES.values()]
    optimizer = make_optimizer("adamw", LR, TOTAL, WARMUP)
    optimizer.fused = fused
    optimizer.build(variables)
    step = tf.function(lambda gradients: optimizer.apply_gradients(zip(gradients, variables)))
    graph = step.get_concrete_function([tf.TensorSpec(v.shape, tf.float32) for v in variables]).graph
    assert [op.type for op in graph.get_operations()].count("ResourceApplyAdam") == kernel_count
