"""run_pretraining end to end, multi-replica equivalence, kill-and-resume, TPU construction."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate
from clue_tf.cli import run_command
from tests.helpers import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "sample"
WORKER = PROJECT_ROOT / "tests" / "training" / "run_worker.py"


@pytest.fixture(scope="module")
def sample_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("records") / "sample.tfrecord"
    assert run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={out}",
        f"--vocab_file={SAMPLE / 'vocab.txt'}", "--max_seq_length=64", "--max_predictions_per_seq=10",
        "--dupe_factor=4", "--do_whole_word_mask=true"]) == 0
    return out


def settings(records, output_dir, **overrides) -> dict:
    values = dict(input_file=str(records), output_dir=str(output_dir),
                  bert_config_file=str(SAMPLE / "bert_config.json"), vocab_file=str(SAMPLE / "vocab.txt"),
                  max_seq_length=64, max_predictions_per_seq=10, train_batch_size=8,
                  num_train_steps=12, num_warmup_steps=2, learning_rate=1e-3,
                  save_checkpoints_steps=4, iterations_per_loop=1, deterministic=True)
    values.update(overrides)
    return values


def run_worker(tmp_path, name, values, logical_cpus=1) -> dict:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(values))
    out = tmp_path / f"{name}.out.json"
    result = subprocess.run([sys.executable, str(WORKER), str(path), str(out), str(logical_cpus)],
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def test_cli_trains_evaluates_checkpoints_and_exports_a_loadable_bundle(sample_records, tmp_path):
    out = tmp_path / "run"
    assert run_command("run_pretraining", [
        f"--input_file={sample_records}", f"--output_dir={out}",
        f"--bert_config_file={SAMPLE / 'bert_config.json'}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--do_train=true", "--do_eval=true", "--max_seq_length=64", "--max_predictions_per_seq=10",
        "--train_batch_size=8", "--eval_batch_size=8", "--num_train_steps=10", "--num_warmup_steps=2",
        "--save_checkpoints_steps=3", "--keep_checkpoints=2", "--optimizer=lamb"]) == 0
    results = dict(line.split(" = ") for line in (out / "eval_results.txt").read_text().splitlines())
    assert float(results["global_step"]) == 10 and 0 <= float(results["masked_lm_accuracy"]) <= 1
    assert len(list((out / "checkpoints").glob("ckpt-*.index"))) == 2
    assert list((out / "train").glob("events.out.tfevents.*"))
    loaded = load(locate(str(out / "bundle")), heads=("masked_lm", "next_sentence"))
    assert loaded.report.left_initial == []


def test_two_replicas_follow_the_one_device_loss_trajectory(sample_records, tmp_path):
    one = run_worker(tmp_path, "one", settings(sample_records, tmp_path / "one"))
    two = run_worker(tmp_path, "two", settings(sample_records, tmp_path / "two", strategy="mirrored"),
                     logical_cpus=2)
    assert (one["replicas"], two["replicas"]) == (1, 2)
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=2e-4)
    # one gradient all-reduce per traced step (clipping included), beside the loss weight's
    assert two["all_reduces"]["many_tensors"] == two["all_reduces"]["one_tensor"] > 0
    np.testing.assert_allclose(two["weights"], one["weights"], atol=2e-4)


def kill_after_checkpoint(tmp_path, values: dict, step: int) -> None:
    """Starts a run and SIGKILLs it once checkpoint `step` is on disk."""
    path = tmp_path / "killed.json"
    path.write_text(json.dumps(values))
    out = tmp_path / "killed.out.json"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.Popen([sys.executable, str(WORKER), str(path), str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = Path(values["output_dir"]) / "checkpoints"
    deadline = time.time() + 300
    state = checkpoints / "checkpoint"  # written last, once ckpt-{step} is whole on disk
    while not (state.exists() and f'"ckpt-{step}"' in state.read_text()) and time.time() < deadline:
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()


@pytest.mark.slow  # ~50 s; the ELECTRA run with dropout below resumes bit-identically in the default run
def test_killed_run_resumed_to_the_end_equals_an_uninterrupted_run(sample_records, tmp_path):
    values = settings(sample_records, tmp_path / "whole", num_train_steps=60, save_checkpoints_steps=10,
                      iterations_per_loop=10, dynamic_masking=True)
    whole = run_worker(tmp_path, "whole", values)

    resumed_dir = tmp_path / "resumed"
    kill_after_checkpoint(tmp_path, dict(values, output_dir=str(resumed_dir)), 20)
    resumed = run_worker(tmp_path, "resumed", dict(values, output_dir=str(resumed_dir)))
    assert len(resumed["losses"]) < 6  # it started from a checkpoint, not from step 0
    assert resumed["weights_sum"] == whole["weights_sum"]
    assert resumed["weights"] == whole["weights"]


def test_tpu_strategy_is_built_from_googles_tpu_flags(monkeypatch):
    from clue_tf.training import strategy as strategy_module

    calls = {}
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver",
                        lambda **kw: calls.setdefault("resolver", kw) and "resolver")
    monkeypatch.setattr(tf.config, "experimental_connect_to_cluster", lambda r: calls.setdefault("connect", r))
    monkeypatch.setattr(tf.tpu.experimental, "initialize_tpu_system", lambda r: calls.setdefault("init", r))
    monkeypatch.setattr(tf.distribute, "TPUStrategy", lambda r: ("TPUStrategy", r))
    built = strategy_module.make_strategy("one_device", tpu_name="grpc://10.1.2.3:8470",
                                          tpu_zone="us-central1-b", gcp_project="proj", use_tpu=True)
    assert calls["resolver"] == {"tpu": "grpc://10.1.2.3:8470", "zone": "us-central1-b", "project": "proj"}
    assert calls["connect"] == calls["init"] == "resolver" and built == ("TPUStrategy", "resolver")


def test_mixed_bfloat16_trains_and_lowers_the_loss(sample_records, tmp_path):
    result = run_worker(tmp_path, "bf16", settings(sample_records, tmp_path / "bf16",
                                                   mixed_precision="mixed_bfloat16", num_train_steps=30,
                                                   iterations_per_loop=10, learning_rate=2e-3,
                                                   deterministic=False))
    losses = result["losses"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_mixed_float16_with_loss_scaling_follows_float32(sample_records, tmp_path):
    values = settings(sample_records, tmp_path, num_train_steps=8)
    fp32 = run_worker(tmp_path, "fp32", dict(values, output_dir=str(tmp_path / "fp32")))
    fp16 = run_worker(tmp_path, "fp16", dict(values, output_dir=str(tmp_path / "fp16"),
                                             mixed_precision="mixed_float16"))
    assert fp16["optimizer"] == "LossScaleOptimizer" and fp32["optimizer"] != "LossScaleOptimizer"
    np.testing.assert_allclose(fp16["losses"], fp32["losses"], rtol=5e-3)
    assert fp16["losses"] != fp32["losses"]  # float16 did run


def test_mixed_float16_on_several_replicas_is_refused_with_a_clear_message(sample_records, tmp_path):
    values = settings(sample_records, tmp_path / "out", strategy="mirrored", mixed_precision="mixed_float16")
    path = tmp_path / "fp16.json"
    path.write_text(json.dumps(values))
    result = subprocess.run([sys.executable, str(WORKER), str(path), str(tmp_path / "out.json"), "2"],
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    assert result.returncode != 0
    assert "mixed_float16 with 2 replicas" in result.stderr and "use one device, or mixed_bfloat16" in result.stderr


@pytest.mark.parametrize("flag, message", [
    ("--num_train_steps=0", "--num_train_steps=0: must be at least 1"),
    ("--save_checkpoints_steps=0", "--save_checkpoints_steps=0: must be at least 1"),
    ("--train_batch_size=0", "--train_batch_size=0: must be at least 1"),
    ("--max_predictions_per_seq=0", "--max_predictions_per_seq=0: must be at least 1"),
])
def test_counts_below_one_are_named_before_anything_is_built(sample_records, tmp_path, capsys, flag, message):
    out = tmp_path / "out"
    assert run_command("run_pretraining", [
        f"--input_file={sample_records}", f"--output_dir={out}", "--do_train=true",
        f"--bert_config_file={SAMPLE / 'bert_config.json'}", flag]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_googles_flags_without_a_vocab_still_export_weights_and_config(sample_records, tmp_path, caplog):
    out = tmp_path / "run"
    assert run_command("run_pretraining", [
        f"--input_file={sample_records}", f"--output_dir={out}", f"--bert_config_file={SAMPLE / 'bert_config.json'}",
        "--do_train=true", "--max_seq_length=64", "--max_predictions_per_seq=10", "--train_batch_size=8",
        "--num_train_steps=2", "--num_warmup_steps=1"]) == 0
    assert sorted(p.name for p in (out / "bundle").iterdir()) == [
        "bert_config.json", "bert_model.ckpt.data-00000-of-00001", "bert_model.ckpt.index"]
    assert "no vocab.txt" in caplog.text
    loaded = load(locate(str(out / "bundle"), vocab_file=str(SAMPLE / "vocab.txt")), heads=("masked_lm", "next_sentence"))
    assert loaded.report.left_initial == []


def whole_and_resumed(records, tmp_path, steps: int, **config_changes) -> tuple[dict, dict, dict]:
    """An uninterrupted run of the sample config with `config_changes`, and the same run killed
    after checkpoint 10 and resumed: (whole, resumed, the settings)."""
    config = json.loads((SAMPLE / "bert_config.json").read_text())
    config.update(config_changes)
    (tmp_path / "changed_config.json").write_text(json.dumps(config))
    values = settings(records, tmp_path / "whole", num_train_steps=steps, save_checkpoints_steps=10,
                      iterations_per_loop=10, bert_config_file=str(tmp_path / "changed_config.json"))
    whole = run_worker(tmp_path, "whole", values)
    kill_after_checkpoint(tmp_path, dict(values, output_dir=str(tmp_path / "resumed")), 10)
    resumed = run_worker(tmp_path, "resumed", dict(values, output_dir=str(tmp_path / "resumed")))
    assert len(resumed["losses"]) < 3  # it started from a checkpoint, not from step 0
    return whole, resumed, values


@pytest.mark.slow  # ~50 s; the ELECTRA run below replays dropout masks and samples in the default run
def test_killed_run_with_dropout_resumes_bit_identically(sample_records, tmp_path):
    """The dropout RNG state is in the checkpoint, so the resumed run draws the same masks."""
    whole, resumed, values = whole_and_resumed(sample_records, tmp_path, 30, hidden_dropout_prob=0.1,
                                               attention_probs_dropout_prob=0.1)
    assert resumed["weights"] == whole["weights"]
    without_dropout = run_worker(tmp_path, "plain", dict(values, output_dir=str(tmp_path / "plain"),
                                                         bert_config_file=str(SAMPLE / "bert_config.json")))
    assert without_dropout["weights"] != whole["weights"]  # dropout was on


def test_killed_electra_run_with_dropout_resumes_bit_identically(sample_records, tmp_path):
    """Both kinds of random draws are in the checkpoint, the dropout masks' and the ELECTRA
    generator's samples, so the resumed run drops and replaces what the uninterrupted one did
    (the test fails if either state is left out)."""
    whole, resumed, _ = whole_and_resumed(sample_records, tmp_path, 20, embedding_size=64, model_family="electra",
                                          hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    assert resumed["weights"] == whole["weights"]


def free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_follow_the_one_device_loss_trajectory_and_only_the_chief_writes(sample_records, tmp_path):
    """multi_worker_mirrored with two processes on localhost (TF_CONFIG), one CPU replica each."""
    one = run_worker(tmp_path, "one", settings(sample_records, tmp_path / "one"))
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    values = settings(sample_records, tmp_path / "multi", strategy="multi_worker_mirrored")
    (tmp_path / "multi.json").write_text(json.dumps(values))
    procs = []
    for index in range(2):
        env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT),
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(tmp_path / "multi.json"),
                                       str(tmp_path / f"worker{index}.out.json")], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    workers = [json.loads((tmp_path / f"worker{i}.out.json").read_text()) for i in range(2)]
    assert [w["replicas"] for w in workers] == [2, 2]
    np.testing.assert_allclose(workers[0]["losses"], one["losses"], rtol=2e-4)
    assert workers[1]["weights"] == workers[0]["weights"]
    written = sorted(p.name for p in (tmp_path / "multi" / "checkpoints").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "one" / "checkpoints").iterdir())  # one set
    assert len(list((tmp_path / "multi" / "train").iterdir())) == 1  # one summary file
