"""Faults a careful user meets, as a table of (command, fault) cases on tiny inputs.

Every case asserts the exit code, one error line naming the flag, file or variable, the
earlier outputs byte-identical, and no temp or lock file left. Kills are a hook that
raises SIGTERM's exception at a chosen point of the writer, not a timed signal.
"""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clue_tf.cli import run_command
from clue_tf.cli.app import Terminated

SAMPLE = Path(__file__).resolve().parents[2] / "sample"
PAIRS = [("今天天气很好", "今天天气不错"), ("我想去北京", "北京在哪里"),
         ("他喜欢学习", "学习使他快乐"), ("这本书很好看", "这本书不好看")]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A tiny bundle (sample config and vocab), 64-length records and an AFQMC-shaped folder."""
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.bert.backbone import BertEncoder
    from clue_tf.models.bert.config import BertConfig
    from clue_tf.models.bert.family import BERT

    root = tmp_path_factory.mktemp("inputs")
    keras.utils.set_random_seed(0)
    config = BertConfig.from_dict(json.loads((SAMPLE / "bert_config.json").read_text()))
    write(str(root / "bundle"), BertEncoder.from_bert_config(config), BERT, config, str(SAMPLE / "vocab.txt"))
    assert run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={root / 'records.tfrecord'}",
        f"--vocab_file={SAMPLE / 'vocab.txt'}", "--max_seq_length=64", "--dupe_factor=1"]) == 0
    data = root / "afqmc"
    data.mkdir()
    for name, labelled in (("train.json", True), ("dev.json", True), ("test.json", False)):
        rows = [{"id": i, "sentence1": a, "sentence2": b, **({"label": str(i % 2)} if labelled else {})}
                for i, (a, b) in enumerate(PAIRS * 2)]
        (data / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (root / "text.txt").write_text("今天天气很好\n我想去北京\n", encoding="utf-8")
    (root / "latin1.txt").write_bytes("第一行\n".encode() + "caf\u00e9\n".encode("latin-1"))
    (root / "empty.txt").write_text("\n\n", encoding="utf-8")
    (root / "one_sentence.txt").write_text("今天天气很好\n", encoding="utf-8")
    (root / "one_word.txt").write_text("好\n", encoding="utf-8")
    return root


def live_pid():
    """A child process; killed and reaped, its PID is one a dead run could have left in a lock."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    return proc


def lock_holder(out: Path, command: str) -> subprocess.Popen:
    """A process holding OUTPUT_DIR's lock as a running clue-tf does (flock, PID and command)."""
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, f'{os.getpid()} {sys.argv[2]}\\n'.encode()); "
            "print('held', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out / ".clue-tf.lock"), command],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def pretraining(inputs, out, *flags):
    return ("run_pretraining", [f"--input_file={inputs / 'records.tfrecord'}", f"--output_dir={out}",
                                f"--bert_config_file={SAMPLE / 'bert_config.json'}",
                                f"--vocab_file={SAMPLE / 'vocab.txt'}", "--max_seq_length=64",
                                "--do_train=true", "--num_train_steps=2", "--train_batch_size=2", *flags])


def classifier(inputs, out, *flags):
    return ("run_classifier", [f"--bundle_dir={inputs / 'bundle'}", f"--data_dir={inputs / 'afqmc'}",
                               "--task_name=afqmc", f"--output_dir={out}", "--max_seq_length=32",
                               "--train_batch_size=4", "--num_train_epochs=1", *flags])


def features(inputs, out, *flags, bundle=None):
    return ("extract_features", [f"--bundle_dir={bundle or inputs / 'bundle'}", f"--input_file={inputs / 'text.txt'}",
                                 f"--output_file={out / 'features.jsonl'}", *flags])


def records(inputs, out, *flags, files=("a.tfrecord",)):
    return ("create_pretraining_data", [f"--input_file={inputs / 'text.txt'}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
                                        "--output_file=" + ",".join(str(out / f) for f in files), *flags])


def edited_bundle(inputs, tmp_path, **config_changes):
    bundle = tmp_path / "edited"
    bundle.mkdir()
    for item in (inputs / "bundle").iterdir():
        (bundle / item.name).write_bytes(item.read_bytes())
    config = json.loads((bundle / "bert_config.json").read_text())
    config.update(config_changes)
    (bundle / "bert_config.json").write_text(json.dumps(config))
    return bundle


def copied_bundle(inputs, tmp_path, without: str):
    """The bundle without the files matching `without`."""
    bundle = tmp_path / f"without-{without.strip('*')}"
    bundle.mkdir()
    for item in (inputs / "bundle").iterdir():
        if not item.match(without):
            (bundle / item.name).write_bytes(item.read_bytes())
    return bundle


def converted(inputs, tmp_path, output_format: str, remove: str = None, bundle: Path = None):
    """The bundle (or `bundle`) converted by `clue-tf convert`, less the file `remove`."""
    folder = tmp_path / f"converted-{output_format}"
    assert run_command("convert", [f"--bundle_dir={bundle or inputs / 'bundle'}", f"--output_dir={folder}",
                                   f"--output_format={output_format}"]) == 0
    if remove:
        (folder / remove).unlink()
    return folder


def short_positions_config(tmp_path, positions: int = 32) -> Path:
    config = json.loads((SAMPLE / "bert_config.json").read_text())
    path = tmp_path / "short_positions.json"
    path.write_text(json.dumps(dict(config, max_position_embeddings=positions)))
    return path


def brightmart_albert(tmp_path) -> Path:
    from tests.models.albert_models import BRIGHTMART_CONFIG, brightmart_checkpoint

    brightmart_checkpoint(tmp_path / "brightmart", BRIGHTMART_CONFIG)
    return tmp_path / "brightmart"


def mixed_checkpoint(inputs, tmp_path):
    """A bundle whose .index is another same-shaped model's."""
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.bert.backbone import BertEncoder
    from clue_tf.models.bert.config import BertConfig
    from clue_tf.models.bert.family import BERT

    keras.utils.set_random_seed(1)
    config = BertConfig.from_dict(json.loads((SAMPLE / "bert_config.json").read_text()))
    other = tmp_path / "other"
    write(str(other), BertEncoder.from_bert_config(config), BERT, config, str(SAMPLE / "vocab.txt"))
    bundle = edited_bundle(inputs, tmp_path)
    (bundle / "bert_model.ckpt.index").write_bytes((other / "bert_model.ckpt.index").read_bytes())
    return bundle


# (case id, command and flags from (inputs, out folder, tmp_path), exit code, words the error line holds)
CASES = [
    ("pretraining/no-do-flag", lambda i, o, t: ("run_pretraining", [f"--input_file={i / 'records.tfrecord'}",
                                                                    f"--output_dir={o}"]), 1, "nothing to do"),
    ("pretraining/seq-length-vs-records", lambda i, o, t: pretraining(i, o, "--max_seq_length=128"), 1,
     "records hold input_ids of length 64, but --max_seq_length=128"),
    ("pretraining/predictions-vs-records", lambda i, o, t: pretraining(i, o, "--max_predictions_per_seq=5"), 1,
     "masked_lm_positions of length 20, but --max_predictions_per_seq=5"),
    ("pretraining/text-not-records", lambda i, o, t: pretraining(i, o, f"--input_file={i / 'text.txt'}"), 1,
     "text.txt: not a TFRecord file"),
    ("pretraining/zero-steps", lambda i, o, t: pretraining(i, o, "--num_train_steps=0"), 1,
     "--num_train_steps=0: must be at least 1"),
    ("pretraining/zero-batch", lambda i, o, t: pretraining(i, o, "--train_batch_size=0"), 1,
     "--train_batch_size=0: must be at least 1"),
    ("pretraining/zero-checkpoint-steps", lambda i, o, t: pretraining(i, o, "--save_checkpoints_steps=0"), 1,
     "--save_checkpoints_steps=0"),
    ("pretraining/output-dir-is-a-file", lambda i, o, t: pretraining(i, o / "earlier.txt"), 1, "is a file"),
    ("classifier/no-do-flag", lambda i, o, t: classifier(i, o), 1, "nothing to do"),
    ("classifier/zero-batch", lambda i, o, t: classifier(i, o, "--do_train=true", "--train_batch_size=0"), 1,
     "--train_batch_size=0"),
    ("classifier/seq-length-above-positions", lambda i, o, t: classifier(i, o, "--do_train=true",
                                                                         "--max_seq_length=600"), 1,
     "--max_seq_length=600"),
    ("features/zero-batch", lambda i, o, t: features(i, o, "--batch_size=0"), 1, "--batch_size=0: must be at least 1"),
    ("features/layers-word", lambda i, o, t: features(i, o, "--layers=last"), 1, "--layers=last"),
    ("features/layer-out-of-range", lambda i, o, t: features(i, o, "--layers=-1,-9"), 1,
     "-9 out of range for a 2-layer model"),
    ("features/output-file-is-a-folder", lambda i, o, t: ("extract_features", [
        f"--bundle_dir={i / 'bundle'}", f"--input_file={i / 'text.txt'}", f"--output_file={o}"]), 1, "is a folder"),
    ("features/seq-length-two", lambda i, o, t: features(i, o, "--max_seq_length=2"), 1, "--max_seq_length=2"),
    ("features/zero-heads-config", lambda i, o, t: features(i, o, bundle=edited_bundle(i, t, num_attention_heads=0)),
     1, "num_attention_heads must be positive"),
    ("features/string-size-config", lambda i, o, t: features(i, o, bundle=edited_bundle(i, t, hidden_size="128")),
     1, "hidden_size is '128', expected int"),
    ("features/index-of-another-model", lambda i, o, t: features(i, o, bundle=mixed_checkpoint(i, t)), 1,
     "does not belong to its .index"),
    ("records/more-files-than-instances", lambda i, o, t: records(i, o, files=[f"s{n}.tfrecord" for n in range(40)]),
     1, "would be empty"),
    ("records/output-file-is-a-folder", lambda i, o, t: ("create_pretraining_data", [
        f"--input_file={i / 'text.txt'}", f"--vocab_file={SAMPLE / 'vocab.txt'}", f"--output_file={o}"]), 1,
     "is a folder"),
    ("records/non-utf8-input", lambda i, o, t: records(i, o, f"--input_file={i / 'latin1.txt'}"), 1, "latin1.txt:2"),
    ("convert/into-a-folder-of-other-files", lambda i, o, t: ("convert", [f"--bundle_dir={i / 'bundle'}",
                                                                          f"--output_dir={o}"]), 1,
     "holds files that are not a model's"),
    # the second campaign
    ("features/hf-folder-without-vocab", lambda i, o, t: features(i, o, bundle=converted(i, t, "hf", "vocab.txt")),
     1, "no vocab.txt (nor a keras-hub vocabulary) in the folder; give --vocab_file"),
    ("pretraining/seq-length-above-positions", lambda i, o, t: pretraining(
        i, o, f"--bert_config_file={short_positions_config(t)}"), 1,
     "--max_seq_length=64: above the model's 32 positions (max_position_embeddings in"),
    ("pretraining/tpu-without-a-name", lambda i, o, t: pretraining(i, o, "--strategy=tpu"), 1,
     "--strategy=tpu: no --tpu_name and no TPU found"),
    ("records/unknown-beam-runner", lambda i, o, t: records(i, o, "--runner=NoSuchRunner"), 1,
     "--runner=NoSuchRunner: not a Beam runner (known: DataflowRunner"),
    ("records/empty-input-fast", lambda i, o, t: records(i, o, f"--input_file={i / 'empty.txt'}"), 1,
     "empty.txt: no text (every line is empty)"),
    ("records/empty-input-beam", lambda i, o, t: records(i, o, f"--input_file={i / 'empty.txt'}",
                                                         "--runner=DirectRunner"), 1,
     "empty.txt: no text (every line is empty)"),
    ("records/no-instances-fast", lambda i, o, t: records(i, o, f"--input_file={i / 'one_word.txt'}",
                                                          "--model_family=pegasus"), 1,
     "one_word.txt: no instances (documents too short for the objective)"),
    ("records/no-instances-beam", lambda i, o, t: records(i, o, f"--input_file={i / 'one_word.txt'}",
                                                          "--model_family=pegasus", "--runner=DirectRunner"), 1,
     "one_word.txt: no instances (documents too short for the objective)"),
    ("records/negative-shards", lambda i, o, t: records(i, o, "--runner=DirectRunner", "--num_shards=-1"), 1,
     "--num_shards=-1: must be at least 0"),
    ("features/bundle-without-index", lambda i, o, t: features(i, o, bundle=copied_bundle(i, t, "*.index")), 1,
     "bert_model.ckpt.index is missing (the checkpoint's data files are there without it)"),
    ("features/preset-without-metadata", lambda i, o, t: features(
        i, o, bundle=converted(i, t, "keras_hub", "metadata.json")), 1, "without metadata.json"),
    ("convert/brightmart-albert-to-keras-hub", lambda i, o, t: ("convert", [
        f"--bundle_dir={brightmart_albert(t)}", f"--output_dir={o / 'preset'}", "--output_format=keras_hub"]), 1,
     "use --output_format=bundle (it has no HF form either)"),
    ("convert/brightmart-albert-to-hf", lambda i, o, t: ("convert", [
        f"--bundle_dir={brightmart_albert(t)}", f"--output_dir={o / 'hf'}", "--output_format=hf"]), 1,
     "this ALBERT has no HF form: HF's AlbertModel has Google's layout with E != H only, and this model has "
     "brightmart's layout"),
    ("classifier/export-into-a-folder-of-other-files", lambda i, o, t: classifier(
        i, o, "--do_train", f"--export_saved_model={o}"), 1,
     "--export_saved_model="),
]


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def earlier_outputs(tmp_path: Path) -> Path:
    """An output folder holding an earlier run's files, which no failed run may touch."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.txt").write_text("an earlier run's output\n")
    (out / "a.tfrecord").write_bytes(b"earlier records")
    (out / "features.jsonl").write_text('{"earlier": true}\n')
    (out / "test_results.tsv").write_text("0.5\t0.5\n")
    return out


def assert_one_error_line(err: str, command: str, words: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith(f"clue-tf {command}")]
    assert len(lines) == 1, err
    assert "error:" in lines[0] and words in lines[0], err
    assert "Traceback" not in err


def assert_nothing_left(out: Path, before: dict) -> None:
    assert snapshot(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fault_is_one_line_and_earlier_outputs_stay(case, inputs, tmp_path, capsys):
    _, make, code, words = case
    out = earlier_outputs(tmp_path)
    command, args = make(inputs, out, tmp_path)
    before = snapshot(out)
    capsys.readouterr()
    assert run_command(command, args) == code
    assert_one_error_line(capsys.readouterr().err, command, words)
    assert_nothing_left(out, before)


@pytest.mark.parametrize("command", ["run_pretraining", "run_classifier"])
def test_a_second_run_into_a_busy_output_dir_is_refused_naming_the_first(command, inputs, tmp_path, capsys):
    out = earlier_outputs(tmp_path)
    holder = lock_holder(out, command)
    try:
        before = snapshot(out)
        args = pretraining(inputs, out)[1] if command == "run_pretraining" else classifier(inputs, out, "--do_train")[1]
        assert run_command(command, args) == 1
        assert_one_error_line(capsys.readouterr().err, command, f"in use by clue-tf {command} (PID {holder.pid})")
        assert snapshot(out) == before
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("pid_now", ["dead", "reused"])
def test_a_dead_runs_lock_and_partial_checkpoint_are_cleared(inputs, tmp_path, pid_now):
    """A killed run's lock is taken over, also when its PID now belongs to a live process."""
    out = tmp_path / "out"
    (out / "checkpoints" / "ckpt-1_temp").mkdir(parents=True)
    (out / "checkpoints" / "ckpt-1_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"half")
    if pid_now == "dead":
        dead = live_pid()
        dead.kill()
        dead.wait()
        pid = dead.pid
    else:
        pid = os.getpid()  # alive, and not a run holding the lock
    (out / ".clue-tf.lock").write_text(f"{pid} run_pretraining\n")
    assert run_command(*pretraining(inputs, out)) == 0
    assert not (out / ".clue-tf.lock").exists()
    assert not (out / "checkpoints" / "ckpt-1_temp").exists()
    assert (out / "bundle" / "bert_model.ckpt.index").exists()


def test_resuming_into_another_configs_checkpoints_is_one_line(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_command(*pretraining(inputs, out)) == 0
    config = json.loads((SAMPLE / "bert_config.json").read_text())
    config.update(hidden_size=64, intermediate_size=128)
    (tmp_path / "smaller.json").write_text(json.dumps(config))
    before = snapshot(out)
    capsys.readouterr()
    command, args = pretraining(inputs, out, f"--bert_config_file={tmp_path / 'smaller.json'}", "--num_train_steps=4")
    assert run_command(command, args) == 1
    assert_one_error_line(capsys.readouterr().err, command, "the checkpoint to resume from is another model's")
    assert_nothing_left(out, before)


def raise_on_call(number: int, exception: BaseException):
    """A hook that lets `number - 1` calls through, then raises (a kill landing there)."""
    calls = []

    def hook(original):
        def wrapped(*args, **kwargs):
            calls.append(1)
            if len(calls) == number:
                raise exception
            return original(*args, **kwargs)
        return wrapped
    return hook


@pytest.mark.parametrize("google_exact", [True, False])
def test_records_killed_midway_keep_the_earlier_shards(inputs, tmp_path, monkeypatch, capsys, google_exact):
    from clue_tf.data import file_examples, tfrecords

    out = earlier_outputs(tmp_path)
    (out / "b.tfrecord").write_bytes(b"earlier records b")
    before = snapshot(out)
    if google_exact:  # the third Example of the Google-exact path
        monkeypatch.setattr(tfrecords, "instance_to_example",
                            raise_on_call(3, Terminated())(tfrecords.instance_to_example))
    else:  # the fast path encodes a file's Examples while the output set is open
        monkeypatch.setattr(file_examples, "encode_examples",
                            raise_on_call(1, Terminated())(file_examples.encode_examples))
    assert run_command(*records(inputs, out, f"--google_exact={google_exact}".lower(),
                                files=("a.tfrecord", "b.tfrecord"))) == 143
    assert "terminated (SIGTERM)" in capsys.readouterr().err
    assert_nothing_left(out, before)


def test_records_on_a_full_disk_name_the_files_and_keep_the_earlier_ones(inputs, tmp_path, monkeypatch, capsys):
    from clue_tf.io import outputs as io_outputs

    out = earlier_outputs(tmp_path)
    before = snapshot(out)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io_outputs.os, "fsync", full)
    command, args = records(inputs, out)
    assert run_command(command, args) == 1
    assert_one_error_line(capsys.readouterr().err, command, "the disk is full")
    assert_nothing_left(out, before)


def test_features_killed_midway_keep_the_earlier_file(inputs, tmp_path, monkeypatch, capsys):
    from clue_tf.inference import features as module

    out = earlier_outputs(tmp_path)
    before = snapshot(out)
    monkeypatch.setattr(module, "encode_example", raise_on_call(2, Terminated())(module.encode_example))
    assert run_command(*features(inputs, out, "--batch_size=1")) == 143
    assert_nothing_left(out, before)


def test_predictions_killed_before_the_set_is_replaced_keep_the_earlier_set(inputs, tmp_path, monkeypatch, capsys):
    from clue_tf.tasks import submission as module

    out = tmp_path / "out"
    assert run_command(*classifier(inputs, out, "--do_train", "--do_predict", "--submission_zip")) == 0
    earlier = snapshot(out)
    monkeypatch.setattr(module, "zip_bytes", raise_on_call(1, Terminated())(module.zip_bytes))
    assert run_command(*classifier(inputs, out, "--do_predict", "--submission_zip", "--random_seed=7")) == 143
    assert_nothing_left(out, earlier)
    assert {"afqmc_predict.json", "submission.zip", "test_results.tsv"} <= {p.name for p in out.iterdir()}


class RunsCode:
    """Unpickling this runs a command: what a malicious checkpoint does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_naming_what_it_holds(inputs, tmp_path, capsys):
    torch = pytest.importorskip("torch", reason="needs torch (the test extra) to write a .bin")
    folder = tmp_path / "hf"
    folder.mkdir()
    config = json.loads((SAMPLE / "bert_config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "bert", "architectures": ["BertModel"]}))
    (folder / "vocab.txt").write_bytes((SAMPLE / "vocab.txt").read_bytes())
    marker = tmp_path / "ran"
    torch.save({"bert.embeddings.word_embeddings.weight": RunsCode(marker)}, folder / "pytorch_model.bin")
    out = earlier_outputs(tmp_path)
    before = snapshot(out)
    command, args = features(inputs, out, bundle=folder)
    assert run_command(command, args) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err, command, "pytorch_model.bin: refused: the file holds Python objects (posix.system)")
    assert "weights_only=False" not in err
    assert not marker.exists()
    assert_nothing_left(out, before)


def test_a_checkpoint_on_a_full_disk_is_one_line_and_the_earlier_checkpoint_stays(inputs, tmp_path, monkeypatch,
                                                                                   capsys):
    import tensorflow as tf

    out = tmp_path / "out"
    assert run_command(*pretraining(inputs, out)) == 0
    before = snapshot(out / "checkpoints")

    def full(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "ckpt-4_temp/part-0; No space left on device")

    monkeypatch.setattr(tf.train.CheckpointManager, "save", full)
    command, args = pretraining(inputs, out, "--num_train_steps=4")
    assert run_command(command, args) == 1
    assert_one_error_line(capsys.readouterr().err, command, "ckpt-4: cannot write, the disk is full")
    assert_nothing_left(out / "checkpoints", before)


def test_training_killed_while_saving_the_best_weights_leaves_no_partial_file(inputs, tmp_path, monkeypatch):
    import keras

    out = earlier_outputs(tmp_path)
    (out / "best.weights.h5").write_bytes(b"an earlier run's best weights")
    before = snapshot(out)

    def half_then_killed(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half")
        raise Terminated()

    monkeypatch.setattr(keras.Model, "save_weights", half_then_killed)
    assert run_command(*classifier(inputs, out, "--do_train")) == 143
    after = snapshot(out)
    assert {name: after.get(name) for name in before} == before
    assert [str(name) for name in set(after) - set(before) if name.parts[0] != "logs"] == []  # logs: TensorBoard's
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("command", ["run_classifier", "run_pretraining", "convert", "export_saved_model",
                                     "run_classifier --export_saved_model"])
def test_no_command_writes_into_the_working_folder(command, inputs, tmp_path, monkeypatch, capsys):
    """The one rule for output folders: `.` (or a folder above it) is refused before any work."""
    out = earlier_outputs(tmp_path)
    monkeypatch.chdir(out)
    flag = "export_saved_model" if "--export_saved_model" in command else \
        "export_dir" if command == "export_saved_model" else "output_dir"
    name, args = {
        "run_classifier": classifier(inputs, Path("."), "--do_train"),
        "run_pretraining": pretraining(inputs, Path(".")),
        "convert": ("convert", [f"--bundle_dir={inputs / 'bundle'}", "--output_dir=."]),
        "export_saved_model": ("export_saved_model", [f"--bundle_dir={inputs / 'bundle'}", "--export_dir=.."]),
        "run_classifier --export_saved_model": classifier(inputs, tmp_path / "elsewhere", "--do_train",
                                                          "--export_saved_model=."),
    }[command]
    before = snapshot(out)
    capsys.readouterr()
    assert run_command(name, args) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err, name, "is the working folder, a folder above it or the home folder")
    assert f"--{flag}=." in err
    assert_nothing_left(out, before)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("output_format", ["bundle", "hf", "uer", "keras_hub"])
def test_converted_files_get_the_modes_of_plain_files(inputs, tmp_path, output_format):
    """Writers that create files 0600 (safetensors) must not make a model folder unreadable to
    the group and others under umask 022."""
    umask = os.umask(0o022)
    os.umask(umask)
    assert run_command("convert", [f"--bundle_dir={inputs / 'bundle'}", f"--output_dir={tmp_path / 'out'}",
                                   f"--output_format={output_format}"]) == 0
    written = [p for p in (tmp_path / "out").rglob("*")]
    assert written
    for path in written:
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert path.stat().st_mode & 0o777 == expected, f"{path.relative_to(tmp_path)}: {oct(path.stat().st_mode)}"


def test_default_layers_fit_a_model_with_fewer_than_four(inputs, tmp_path, capsys):
    out = tmp_path / "features.jsonl"
    assert run_command("extract_features", [f"--bundle_dir={inputs / 'bundle'}", f"--input_file={inputs / 'text.txt'}",
                                            f"--output_file={out}"]) == 0
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert [layer["index"] for layer in first["features"][0]["layers"]] == [-1, -2]


def test_resuming_from_a_damaged_checkpoint_says_it_cannot_be_read(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_command(*pretraining(inputs, out)) == 0
    data = next((out / "checkpoints").glob("ckpt-2.data-*"))
    data.write_bytes(data.read_bytes()[:100])
    capsys.readouterr()
    command, args = pretraining(inputs, out, "--num_train_steps=4")
    assert run_command(command, args) == 1
    assert_one_error_line(capsys.readouterr().err, command, "ckpt-2: the checkpoint to resume from cannot be read")
