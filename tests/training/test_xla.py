"""--use_xla: each training step compiled with jit_compile=True, for BERT, T5 and Pegasus
pretraining and for fine-tuning, on CPU. That every op compiles is what TPUStrategy needs;
the compiled steps give the losses of the uncompiled ones."""

import numpy as np
import pytest

from tests.reliability.test_fault_table import inputs  # noqa: F401
from tests.training.test_multi_replica_finetuning import finetune
from tests.training.test_pretraining import run_worker, settings
from tests.training.test_seq2seq_pretraining import records_and_config


def losses_with_and_without_xla(tmp_path, values: dict, logical_cpus: int = 1) -> tuple[list, list]:
    plain = run_worker(tmp_path, "plain", dict(values, output_dir=str(tmp_path / "plain")), logical_cpus)
    xla = run_worker(tmp_path, "xla", dict(values, output_dir=str(tmp_path / "xla"), use_xla=True), logical_cpus)
    return plain["losses"], xla["losses"]


@pytest.mark.parametrize("logical_cpus", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: ~50 s
def test_bert_pretraining_step_compiles_and_keeps_the_losses(inputs, tmp_path, logical_cpus):  # noqa: F811
    values = settings(inputs / "records.tfrecord", tmp_path, num_train_steps=6, max_predictions_per_seq=20,
                      strategy="mirrored" if logical_cpus > 1 else "one_device")
    plain, xla = losses_with_and_without_xla(tmp_path, values, logical_cpus)
    assert len(xla) == 6
    np.testing.assert_allclose(xla, plain, rtol=2e-4)


# ~40-55 s each; BERT pretraining and fine-tuning under XLA stay in the default run
@pytest.mark.parametrize("family", [pytest.param(f, marks=pytest.mark.slow) for f in ("t5", "pegasus")])
def test_seq2seq_pretraining_step_compiles_and_keeps_the_losses(family, tmp_path):
    records, config, vocab = records_and_config(tmp_path, family, 200,
                                                ["--max_seq_length=64", "--max_target_length=32"], "--dupe_factor=1")
    values = dict(input_file=str(records), bert_config_file=str(config), vocab_file=str(vocab), model_family=family,
                  max_seq_length=64, max_target_length=32, train_batch_size=4, num_train_steps=4,
                  num_warmup_steps=1, learning_rate=1e-3, save_checkpoints_steps=4, iterations_per_loop=1,
                  deterministic=True)
    plain, xla = losses_with_and_without_xla(tmp_path, values)
    assert len(xla) == 4
    np.testing.assert_allclose(xla, plain, rtol=2e-4)


def test_fine_tuning_step_compiles_and_keeps_the_loss(inputs, tmp_path):  # noqa: F811
    plain = finetune(tmp_path, inputs, "plain", 1)
    xla = finetune(tmp_path, inputs, "xla", 1, use_xla=True)
    np.testing.assert_allclose(xla["loss"], plain["loss"], rtol=2e-4)
    np.testing.assert_allclose(xla["weights"], plain["weights"], atol=2e-5)
