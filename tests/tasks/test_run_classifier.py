"""run_classifier on the real CLUE files: a tiny random model trains a few steps, evaluates,
predicts the full test files, and the submission files are what the leaderboard takes."""

import json
import os

import keras
import numpy as np
import pytest

from clue_tf.checkpoints.bert_bundle import find_bundle_files, load_bert_bundle, write_bert_bundle
from clue_tf.cli import run_command
from clue_tf.models.bert import BertEncoder
from clue_tf.models.bert_config import BertConfig
from clue_tf.tasks.clue import TASKS, label_descriptions, read_examples
from tests.helpers import shared_path


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    path = tmp_path_factory.mktemp("bundle") / "tiny"
    write_bert_bundle(str(path), BertEncoder.from_bert_config(config), config, str(vocab))
    return path


def task_dir(tmp_path, task_name):
    """The task's folder; IFLYTEK and CMNLI have no train set here: split their dev file."""
    source = shared_path(f"data/clue/{task_name}_public")
    target = tmp_path / f"{task_name}_public"
    target.mkdir()
    for name in os.listdir(source):
        if name.startswith("test") or name == "labels.json":
            os.symlink(source / name, target / name)
    lines = (source / "dev.json").read_text(encoding="utf-8").splitlines(keepends=True)
    train = (source / "train.json").read_text(encoding="utf-8").splitlines(keepends=True)[:300] \
        if (source / "train.json").exists() else lines[:300]
    (target / "train.json").write_text("".join(train), encoding="utf-8")
    (target / "dev.json").write_text("".join(lines[-300:]), encoding="utf-8")
    return target


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_trains_evaluates_and_writes_leaderboard_submission(tmp_path, tiny_bundle, task_name):
    data = task_dir(tmp_path, task_name)
    out = tmp_path / "out"
    assert run_command("run_classifier", [
        f"--task_name={task_name}", f"--data_dir={data}", f"--bundle_dir={tiny_bundle}",
        f"--output_dir={out}", "--do_train=true", "--do_eval=true", "--do_predict=true",
        "--num_train_epochs=1", "--train_batch_size=32", "--eval_batch_size=64",
        "--predict_batch_size=128", "--learning_rate=1e-3", "--submission_zip"]) == 0
    task = TASKS[task_name]
    results = json.loads((out / "eval_results.json").read_text())
    assert 0 <= results["eval_accuracy"] <= 1 and results["eval_examples"] > 250

    expected_files = {"test.json": task.submission_file, **{k: v for k, v in task.test_files.items() if v}}
    for test_name, submission_name in expected_files.items():
        tests = read_examples(task, str(data / test_name), labelled=False)
        lines = [json.loads(line) for line in (out / submission_name).read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in lines] == [e.guid for e in tests]
        assert all(isinstance(r["label"], str) and r["label"] in task.labels for r in lines)
        if task.label_desc_field:
            descriptions = label_descriptions(task, str(data))
            assert all(r["label_desc"] == descriptions[r["label"]] for r in lines)
    probabilities = np.loadtxt(out / "test_results.tsv", delimiter="\t", ndmin=2)
    assert probabilities.shape[1] == len(task.labels)
    np.testing.assert_allclose(probabilities.sum(1), 1, atol=1e-4)
    best = load_bert_bundle(find_bundle_files(str(out / "best_bundle")), heads="classifier",
                            num_labels=len(task.labels))
    assert best.report.left_initial == []  # output_weights / output_bias written, Google's names
    assert (out / "submission.zip").exists()


def test_fixed_length_padding_gives_the_same_predictions_as_length_bucketing(tmp_path, tiny_bundle):
    data = task_dir(tmp_path, "afqmc")
    outputs = {}
    for bucket in ("true", "false"):
        out = tmp_path / f"out-{bucket}"
        assert run_command("run_classifier", [
            "--task_name=afqmc", f"--data_dir={data}", f"--bundle_dir={tiny_bundle}", f"--output_dir={out}",
            "--do_eval=true", f"--bucket_by_length={bucket}", "--eval_batch_size=64"]) == 0
        outputs[bucket] = json.loads((out / "eval_results.json").read_text())
    assert outputs["true"]["eval_accuracy"] == outputs["false"]["eval_accuracy"]
    assert abs(outputs["true"]["eval_loss"] - outputs["false"]["eval_loss"]) < 1e-4
