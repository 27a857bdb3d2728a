"""Fine-tuning on two replicas clips the global gradient as one device does (Google's clip),
with the optimizer's one all-reduce."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import PROJECT_ROOT
from tests.reliability.test_fault_table import inputs  # noqa: F401  (the tiny bundle and AFQMC folder)

WORKER = PROJECT_ROOT / "tests" / "training" / "finetune_worker.py"


def finetune(tmp_path, inputs, name: str, logical_cpus: int, clip: str = "1.0", **overrides) -> dict:  # noqa: F811
    values = dict(task_name="afqmc", data_dir=str(inputs / "afqmc"), output_dir=str(tmp_path / name),
                  bundle_dir=str(inputs / "bundle"), do_train=True, max_seq_length=32, train_batch_size=8,
                  eval_batch_size=8, learning_rate=1e-2, num_train_epochs=1.0, warmup_proportion=0.0,
                  bucket_by_length=False, strategy="mirrored" if logical_cpus > 1 else "one_device")
    values.update(overrides)
    settings, out = tmp_path / f"{name}.json", tmp_path / f"{name}.out.json"
    settings.write_text(json.dumps(values))
    result = subprocess.run([sys.executable, str(WORKER), str(settings), str(out), str(logical_cpus), clip],
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow  # ~80 s; test_pretraining checks two replicas against one device in the default run
def test_two_replicas_clip_the_summed_gradient_as_one_device_does(tmp_path, inputs):  # noqa: F811
    # a small clip norm so that every step is clipped
    one = finetune(tmp_path, inputs, "one", 1, "0.05")
    two = finetune(tmp_path, inputs, "two", 2, "0.05")
    unclipped = finetune(tmp_path, inputs, "unclipped", 2, "none")
    assert (one["replicas"], two["replicas"]) == (1, 2)
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-5)
    np.testing.assert_allclose(two["weights"], one["weights"], atol=2e-5)
    assert np.abs(np.subtract(unclipped["weights"], one["weights"])).max() > 1e-3  # clipping mattered


@pytest.mark.slow  # ~50 s; pretraining in float16 stays in the default run
def test_fine_tuning_in_float16_scales_the_loss_and_follows_float32(tmp_path, inputs):  # noqa: F811
    fp32 = finetune(tmp_path, inputs, "fp32", 1, learning_rate=1e-3)
    fp16 = finetune(tmp_path, inputs, "fp16", 1, learning_rate=1e-3, mixed_precision="mixed_float16")
    assert fp16["optimizer"] == "LossScaleOptimizer"
    np.testing.assert_allclose(fp16["loss"], fp32["loss"], rtol=5e-3)
    np.testing.assert_allclose(fp16["weights"], fp32["weights"], atol=5e-3)


@pytest.mark.slow  # ~60 s; tests/models/test_recompute.py checks the recomputed gradients in the default run
def test_two_replicas_with_recompute_grad_train_as_one_device_without(tmp_path, inputs):  # noqa: F811
    one = finetune(tmp_path, inputs, "one", 1)
    two = finetune(tmp_path, inputs, "two_recompute", 2, recompute_grad=True)
    assert two["replicas"] == 2
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-5)
    np.testing.assert_allclose(two["weights"], one["weights"], atol=2e-5)
