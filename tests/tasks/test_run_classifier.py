"""run_classifier on the real CLUE files: a tiny random model trains a few steps, evaluates,
predicts the full test files, and the submission files are what the leaderboard takes."""

import json

import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.cli import run_command
from clue_tf.tasks.clue import TASKS, label_descriptions, read_examples
from tests.tasks.conftest import task_dir


# AFQMC (~30 s) is slow: CMNLI covers sentence pairs in the default run, and AFQMC is served in tests/serving
@pytest.mark.parametrize("task_name", [pytest.param(t, marks=pytest.mark.slow) if t == "afqmc" else t
                                       for t in sorted(TASKS)])
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
    best = load(locate(str(out / "best_bundle")), heads=("classifier",),
                            num_labels=len(task.labels))
    assert best.report.left_initial == []  # output_weights / output_bias written, Google's names
    assert (out / "submission.zip").exists()


def test_evaluating_without_a_trained_head_is_refused(tmp_path, tiny_bundle):
    data = task_dir(tmp_path, "afqmc")
    assert run_command("run_classifier", ["--task_name=afqmc", f"--data_dir={data}", f"--bundle_dir={tiny_bundle}",
                                          f"--output_dir={tmp_path / 'out'}", "--do_predict=true"]) == 1
    assert not (tmp_path / "out").exists()


def test_fixed_length_padding_gives_the_same_predictions_as_length_bucketing(tmp_path, tiny_bundle):
    data = task_dir(tmp_path, "afqmc")
    with_head = load(locate(str(tiny_bundle)), heads=("classifier",), num_labels=2)  # a random head, saved
    write(str(tmp_path / "head"), with_head.model, with_head.family, with_head.config, with_head.vocab_file)
    tiny_bundle = tmp_path / "head"
    outputs = {}
    for bucket in ("true", "false"):
        out = tmp_path / f"out-{bucket}"
        assert run_command("run_classifier", [
            "--task_name=afqmc", f"--data_dir={data}", f"--bundle_dir={tiny_bundle}", f"--output_dir={out}",
            "--do_eval=true", f"--bucket_by_length={bucket}", "--eval_batch_size=64"]) == 0
        outputs[bucket] = json.loads((out / "eval_results.json").read_text())
    assert outputs["true"]["eval_accuracy"] == outputs["false"]["eval_accuracy"]
    assert abs(outputs["true"]["eval_loss"] - outputs["false"]["eval_loss"]) < 1e-4
