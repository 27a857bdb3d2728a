"""run_classifier refuses bad flags and inputs before any work, in one line, and keeps
Google's train-then-predict workflow and the submission zip honest."""

import json
import os
import zipfile

import pytest

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.cli import run_command
from clue_tf.tasks.classifier import ClassifierSettings, run_classifier
from tests.helpers import shared_path
from tests.tasks.conftest import task_dir


def run(tmp_path, bundle, data, *flags):
    return run_command("run_classifier", [f"--task_name={data.name.split('_')[0]}", f"--data_dir={data}",
                                          f"--bundle_dir={bundle}", f"--output_dir={tmp_path / 'out'}", *flags])


@pytest.mark.parametrize("flags, message", [
    ((), "nothing to do: set at least one of --do_train"),
    (("--do_train", "--train_batch_size=0"), "--train_batch_size=0: must be at least 1"),
    (("--do_eval", "--eval_batch_size=-1"), "--eval_batch_size=-1: must be at least 1"),
    (("--do_train", "--max_seq_length=2"), "--max_seq_length=2: must be at least 3"),
    (("--do_train", "--num_train_epochs=0"), "--num_train_epochs=0.0: must be above 0"),
    (("--do_train", "--max_train_examples=0"), "--max_train_examples=0: must be at least 1"),
    (("--do_train", "--max_seq_length=512"), "--max_seq_length=512: above the model's 128 positions"),
])
def test_bad_flags_are_one_line_before_any_output(tmp_path, tiny_bundle, capsys, flags, message):
    data = task_dir(tmp_path, "afqmc")
    assert run(tmp_path, tiny_bundle, data, *flags) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_missing_or_malformed_test_file_is_reported_before_training(tmp_path, tiny_bundle, capsys):
    data = task_dir(tmp_path, "afqmc")
    os.unlink(data / "test.json")
    assert run(tmp_path, tiny_bundle, data, "--do_train", "--do_predict") == 1
    assert f"{data / 'test.json'}: file not found" in capsys.readouterr().err
    (data / "test.json").write_text('{"id": 0, "sentence1": "a", "sentence2": "b"}\n'
                                    '{"id": 1, "sentence1": null, "sentence2": "b"}\n', encoding="utf-8")
    assert run(tmp_path, tiny_bundle, data, "--do_train", "--do_predict") == 1
    assert f"{data / 'test.json'}:2: field sentence1 is null, not a string" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_pretraining_without_a_do_flag_is_refused(tmp_path, capsys):
    assert run_command("run_pretraining", ["--input_file=x.tfrecord", f"--output_dir={tmp_path / 'out'}",
                                           "--bert_config_file=c.json"]) == 1
    assert "nothing to do: set --do_train and/or --do_eval" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def trained(tmp_path, tiny_bundle):
    """Google's workflow, part one: --do_train into OUT with the pretrained bundle."""
    data = task_dir(tmp_path, "tnews")
    lines = (data / "dev.json").read_text(encoding="utf-8").split("\n")
    (data / "test.json").unlink()
    (data / "test.json").write_text("".join(json.dumps(dict(json.loads(line), id=i), ensure_ascii=False) + "\n"
                                            for i, line in enumerate(lines[:40]) if line), encoding="utf-8")
    out = tmp_path / "out"
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(out),
                                      bundle_dir=str(tiny_bundle), do_train=True, num_train_epochs=1,
                                      max_train_examples=64, max_seq_length=32, learning_rate=1e-3))
    return data, out


def test_predicting_later_into_the_same_output_dir_uses_the_trained_head(tmp_path, tiny_bundle, trained):
    data, out = trained
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(out),
                                      bundle_dir=str(tiny_bundle), do_predict=True, max_seq_length=32))
    explicit = tmp_path / "explicit"
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(explicit),
                                      bundle_dir=str(out / "best_bundle"), do_predict=True, max_seq_length=32))
    assert (out / "test_results.tsv").read_text() == (explicit / "test_results.tsv").read_text()
    best = load(locate(str(out / "best_bundle")), heads=("classifier",), num_labels=15)
    assert not best.report.initial_heads


def test_submission_zip_holds_only_this_runs_files_and_tnews_descriptions(tmp_path, trained):
    data, out = trained
    (out / "afqmc_predict.json").write_text('{"id": 0, "label": "1"}\n')  # a stale file of another run
    (data / "labels.json").unlink()  # the descriptions come from CLUE's list then
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(out),
                                      bundle_dir=str(out / "best_bundle"), do_predict=True, max_seq_length=32,
                                      submission_zip=True))
    with zipfile.ZipFile(out / "submission.zip") as archive:
        assert archive.namelist() == ["tnews10_predict.json", "tnews11_predict.json"]  # not afqmc's
    published = {}
    for line in shared_path("data/clue/tnews_public/labels.json").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        published[record["label"]] = record["label_desc"]
    rows = [json.loads(line) for line in (out / "tnews11_predict.json").read_text(encoding="utf-8").splitlines()]
    assert rows and all(row["label_desc"] == published[row["label"]] for row in rows)


def test_a_bundle_with_its_own_head_is_used_as_given(tmp_path, tiny_bundle, trained):
    """An explicit bundle with a trained head wins over OUT/best_bundle."""
    data, out = trained
    other = load(locate(str(tiny_bundle)), heads=("classifier",), num_labels=15)
    write(str(tmp_path / "other"), other.model, other.family, other.config, other.vocab_file)
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(out),
                                      bundle_dir=str(tmp_path / "other"), do_predict=True, max_seq_length=32))
    explicit = tmp_path / "explicit"
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(explicit),
                                      bundle_dir=str(out / "best_bundle"), do_predict=True, max_seq_length=32))
    assert (out / "test_results.tsv").read_text() != (explicit / "test_results.tsv").read_text()


def test_non_utf8_data_names_the_line_without_advising_a_flag_run_classifier_lacks(tmp_path, tiny_bundle, capsys):
    data = task_dir(tmp_path, "afqmc")
    (data / "dev.json").write_bytes(b'{"sentence1": "a", "sentence2": "b", "label": "0"}\n{"sentence1": "\xe4\xb8"}\n')
    assert run(tmp_path, tiny_bundle, data, "--do_eval") == 1
    err = capsys.readouterr().err
    assert f"{data / 'dev.json'}:2: line is not valid UTF-8" in err and "--errors" not in err


def test_prediction_prints_no_keras_out_of_data_warning(tmp_path, trained, recwarn):
    data, out = trained
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(out),
                                      bundle_dir=str(out / "best_bundle"), do_eval=True, do_predict=True,
                                      max_seq_length=32))
    assert not [w for w in recwarn if "ran out of data" in str(w.message)]
