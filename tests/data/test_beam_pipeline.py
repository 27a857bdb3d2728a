"""The Apache Beam pipeline of create_pretraining_data: worker-count independence, records
that run_pretraining and Google's input_fn read, and a corrupt input that fails cleanly."""

import collections
import glob
import json

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.cli import run_command
from clue_tf.data.tfrecords import parse_examples
from tests.helpers import PROJECT_ROOT, finish_oracle, shared_path, start_oracle

pytest.importorskip("apache_beam", reason="needs Apache Beam (pip install 'clue-tf[beam]')")

SAMPLE = PROJECT_ROOT / "sample"
ONE_WORKER = ["--runner=DirectRunner", "--direct_num_workers=1"]
TWO_PROCESSES = ["--runner=DirectRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"]
FAMILIES = {
    "bert": ("google_zh_vocab.txt", ["--max_seq_length=128", "--max_predictions_per_seq=20"]),
    "t5": ("google_zh_with_sentinel_vocab.txt", ["--max_seq_length=128", "--max_target_length=64"]),
    "pegasus": ("google_zh_vocab.txt", ["--max_seq_length=128", "--max_target_length=64"]),
}


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory):
    """The CLUECorpusSmall sample cut into four files of whole documents."""
    text = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt").read_text(encoding="utf-8")
    documents = [d for d in text.split("\n\n") if d.strip()]
    folder = tmp_path_factory.mktemp("corpus")
    quarter = -(-len(documents) // 4)
    for part in range(4):
        chunk = documents[part * quarter: (part + 1) * quarter]
        (folder / f"part{part}.txt").write_text("\n\n".join(chunk) + "\n", encoding="utf-8")
    return folder


def records(pattern: str) -> collections.Counter:
    files = [f for f in glob.glob(pattern) if not f.endswith(".counts.json")]
    assert files, pattern
    return collections.Counter(r for f in files for r in tf.data.TFRecordDataset(f).as_numpy_iterator())


# T5 and Pegasus (~25 s each) are slow; BERT's pipeline shows one and two workers agree in the default run
@pytest.mark.parametrize("family", [f if f == "bert" else pytest.param(f, marks=pytest.mark.slow)
                                    for f in sorted(FAMILIES)])
def test_one_and_two_worker_processes_write_the_same_examples(corpus_files, tmp_path, family):
    vocab_name, lengths = FAMILIES[family]
    common = [f"--input_file={corpus_files}/*.txt", f"--vocab_file={shared_path('data/vocab/' + vocab_name)}",
              f"--model_family={family}", "--dupe_factor=1", *lengths]
    assert run_command("create_pretraining_data", [*common, f"--output_file={tmp_path}/one/rec", *ONE_WORKER]) == 0
    assert run_command("create_pretraining_data", [*common, f"--output_file={tmp_path}/two/rec", *TWO_PROCESSES,
                                                   "--num_shards=3"]) == 0
    assert run_command("create_pretraining_data", [*common, f"--output_file={tmp_path}/single.tfrecord"]) == 0
    one, two = records(f"{tmp_path}/one/rec-*"), records(f"{tmp_path}/two/rec-*")
    assert len(glob.glob(f"{tmp_path}/two/rec-*-of-00003")) == 3
    assert sum(one.values()) > 1000 and len(one) > 0.99 * sum(one.values())  # real, varied instances
    assert one == two
    assert one == records(f"{tmp_path}/single.tfrecord")  # the fast single process writes the same set
    counts = json.loads((tmp_path / "two" / "rec.counts.json").read_text())
    assert counts["counts"]["instances"] == sum(two.values()) and counts["counts"]["files"] == 4
    assert sorted(counts["record_files"]) == sorted(p.split("/")[-1] for p in glob.glob(f"{tmp_path}/two/rec-*-of-*"))


def test_run_pretraining_trains_from_beam_records_and_googles_input_fn_reads_them(tmp_path, capsys):
    pytest.importorskip("bert", reason="needs bert-tensorflow==1.0.4 (test extra)")
    prefix = tmp_path / "records" / "sample"
    assert run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={prefix}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--max_seq_length=64", "--max_predictions_per_seq=10", "--dupe_factor=5", "--num_shards=1",
        *ONE_WORKER]) == 0
    shard = f"{prefix}-00000-of-00001"
    finish_oracle(start_oracle("google_bert.py", "read_records", shard, "64", "10", str(tmp_path / "read.npz")))
    theirs = np.load(tmp_path / "read.npz")
    parsed = parse_examples(next(iter(tf.data.TFRecordDataset(shard).batch(100000))), 64, 10)
    count = parsed["input_ids"].shape[0]
    assert set(theirs.files) == set(parsed) and count > 50
    for name in theirs.files:
        np.testing.assert_array_equal(theirs[name][:count], parsed[name].numpy(), err_msg=name)

    capsys.readouterr()
    assert run_command("run_pretraining", [
        f"--input_file={tmp_path / 'records' / '*'}", f"--output_dir={tmp_path / 'run'}",
        f"--bert_config_file={SAMPLE / 'bert_config.json'}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--do_train=true", "--max_seq_length=64", "--max_predictions_per_seq=10", "--train_batch_size=8",
        "--num_train_steps=6", "--num_warmup_steps=1", "--learning_rate=1e-3"]) == 0
    out = capsys.readouterr().out
    assert f"data: {count} instances; 6 steps x 8 = {48 / count:.2f} epochs" in out  # the counts file was read
    assert "masked_lm_accuracy" in out


def test_a_non_utf8_line_names_file_and_line_and_leaves_no_shards(corpus_files, tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in ("part0.txt", "part1.txt"):
        (inputs / name).write_bytes((corpus_files / name).read_bytes())
    (inputs / "part2.txt").write_bytes("第一句。\n第二句。\n".encode() + b"\xff\xfe\n" + "第三句。\n".encode())
    out = tmp_path / "out"
    out.mkdir()
    earlier = {"rec-00000-of-00001": b"an earlier complete set", "rec.counts.json": b"{}"}
    for name, data in earlier.items():
        (out / name).write_bytes(data)
    code = run_command("create_pretraining_data", [
        f"--input_file={inputs}/*.txt", f"--output_file={out}/rec",
        f"--vocab_file={shared_path('data/vocab/google_zh_vocab.txt')}", "--dupe_factor=1", *TWO_PROCESSES])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{inputs}/part2.txt:3: line is not valid UTF-8" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier  # no new shards, no temp folder


def test_a_misspelt_flag_is_named_not_dropped_by_beam(tmp_path, capsys):
    code = run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={tmp_path}/rec", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--dupe_facor=3", *ONE_WORKER])
    assert code == 1 and "unknown flag '--dupe_facor=3'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    code = run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={tmp_path}/rec", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--direct_num_workers=2"])
    assert code == 1 and "flags for Beam need --runner" in capsys.readouterr().err


def test_a_rerun_removes_only_the_shards_its_earlier_run_wrote_and_leftover_temp_folders(tmp_path):
    out = tmp_path / "out"
    common = [f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
              "--max_seq_length=64", "--max_predictions_per_seq=10", *ONE_WORKER]
    assert run_command("create_pretraining_data", [*common, f"--output_file={out}/rec", "--num_shards=3"]) == 0
    foreign = {"rec-00007-of-00009": b"not written by this command", "rec2-00000-of-00001": b"another prefix"}
    for name, data in foreign.items():
        (out / name).write_bytes(data)
    killed = out / ("beam-temp-rec-" + "0" * 32)  # a run of this prefix killed mid-write
    killed.mkdir()
    (killed / "partial").write_bytes(b"x")
    other = out / ("beam-temp-rec2-" + "1" * 32)  # another prefix's, maybe running now
    other.mkdir()
    assert run_command("create_pretraining_data", [*common, f"--output_file={out}/rec", "--num_shards=2"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["rec-00000-of-00002", "rec-00001-of-00002", "rec.counts.json", *foreign, other.name])
    assert json.loads((out / "rec.counts.json").read_text())["record_files"] == ["rec-00000-of-00002",
                                                                              "rec-00001-of-00002"]


def test_a_worker_failure_prints_only_the_one_line_error(tmp_path):
    """Beam's workers log the failure (two records with full tracebacks) before the driver
    re-raises it; the console shows only our one line. A real process, for the real stderr."""
    import subprocess
    import sys

    (tmp_path / "one_sentence.txt").write_text("今天天气很好\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "clue_tf.create_pretraining_data", f"--input_file={tmp_path / 'one_sentence.txt'}",
         f"--output_file={tmp_path}/out/rec", f"--vocab_file={SAMPLE / 'vocab.txt'}", *TWO_PROCESSES],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"clue-tf create_pretraining_data: error: {tmp_path / 'one_sentence.txt'}: next-sentence pairs need at "
        "least two sentences in a file; add text or use --nsp=false"], done.stderr


def test_a_full_disk_names_the_shards_and_keeps_the_earlier_set(tmp_path, monkeypatch, capsys):
    from apache_beam.io import tfrecordio

    out = tmp_path / "out"
    out.mkdir()
    earlier = {"rec-00000-of-00001": b"an earlier complete set", "rec.counts.json": b"{}"}
    for name, data in earlier.items():
        (out / name).write_bytes(data)

    def full(cls, file_handle, value):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tfrecordio._TFRecordUtil, "write_record", classmethod(full))
    code = run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={out}/rec", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--dupe_factor=1", *ONE_WORKER])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [f"clue-tf create_pretraining_data: error: {out}/rec-*: cannot write, the disk is "
                                "full (an earlier rec-* there is kept)"], err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier  # no new shards, no temp folder
