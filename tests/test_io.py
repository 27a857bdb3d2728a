"""Atomic writes and strict UTF-8 line reading."""

import pytest

from clue_tf.errors import InputTextError
from clue_tf.io.inputs import read_lines
from clue_tf.io.outputs import atomic_write


def test_atomic_write_replaces_only_on_success(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write("half")
            raise RuntimeError("interrupted")
    assert path.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [path]
    with atomic_write(path) as f:
        f.write("new")
    assert path.read_text(encoding="utf-8") == "new"


def test_read_lines_splits_on_newline_only_and_drops_crlf(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("a\r\nb\u2028c\n\nlast".encode())
    assert list(read_lines(path)) == ["a", "b\u2028c", "", "last"]


def test_read_lines_names_file_and_line_of_bad_utf8(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"ok\n\xc3\x28\n")
    with pytest.raises(InputTextError, match=r"in\.txt:2: line is not valid UTF-8"):
        list(read_lines(path))
    assert list(read_lines(path, errors="replace"))[1] == "\ufffd("


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    import os

    path = tmp_path / "a.tfrecord"
    dead, alive = dead_pid(), os.getppid()
    (tmp_path / f".a.tfrecord.{dead}.x1x1x1x1.tmp").write_bytes(b"partial")
    (tmp_path / f".a.tfrecord.{dead}.f0ld3rxx").mkdir()
    (tmp_path / f".a.tfrecord.{alive}.x2x2x2x2.tmp").write_bytes(b"another run, still writing")
    (tmp_path / ".other.txt.123.tmp").write_bytes(b"not ours to judge")
    with atomic_write(path) as f:
        f.write("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".other.txt.123.tmp", f".a.tfrecord.{alive}.x2x2x2x2.tmp", "a.tfrecord"])


def test_a_folder_swap_killed_between_its_renames_is_restored(tmp_path):
    from clue_tf.io.outputs import atomic_directory

    old = tmp_path / f".bundle.{dead_pid()}.old.abcdefgh"  # what a kill between the renames leaves
    old.mkdir()
    (old / "vocab.txt").write_text("earlier")
    with pytest.raises(RuntimeError):
        with atomic_directory(tmp_path / "bundle") as tmp:
            raise RuntimeError("this write fails too")
    assert (tmp_path / "bundle" / "vocab.txt").read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_sigterm_removes_the_partial_file_keeps_the_earlier_one_and_exits_143(tmp_path):
    import subprocess
    import sys
    import textwrap

    target = tmp_path / "submission.json"
    target.write_text("earlier")
    script = textwrap.dedent(f"""
        import os, signal, time, types
        from absl import flags
        from clue_tf.cli import app
        from clue_tf.io.outputs import atomic_write

        def main(fv):
            with atomic_write({str(target)!r}) as f:
                f.write("half of the new one")
                f.flush()
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
            return 0

        module = types.SimpleNamespace(FLAGS=flags.FlagValues(), main=main, __doc__="")
        raise SystemExit(app.run("predict", module, []))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 143, result.stderr
    assert "terminated (SIGTERM)" in result.stderr
    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["submission.json"]


def test_a_full_disk_is_one_error_naming_the_file_and_keeps_the_earlier_one(tmp_path, monkeypatch):
    import errno
    import os

    from clue_tf.errors import OutputError

    path = tmp_path / "afqmc_predict.json"
    path.write_text("earlier")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match=r"afqmc_predict\.json: cannot write, the disk is full"):
        with atomic_write(path) as f:
            f.write("new")
    assert path.read_text() == "earlier" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_full_disk_while_writing_records_names_them(tmp_path, monkeypatch):
    import tensorflow as tf

    from clue_tf.data import tfrecords
    from clue_tf.errors import OutputError

    class FullWriter:
        def __init__(self, path):
            pass

        def write(self, record):
            raise tf.errors.ResourceExhaustedError(None, None, "No space left on device")

    monkeypatch.setattr(tf.io, "TFRecordWriter", FullWriter)
    example = tf.train.Example()
    with pytest.raises(OutputError, match=r"a\.tfrecord, .*b\.tfrecord: cannot write, the disk is full"):
        tfrecords.write_examples([example], [str(tmp_path / "a.tfrecord"), str(tmp_path / "b.tfrecord")])
    assert list(tmp_path.iterdir()) == []


KILLED_SET_WRITER = """
import os, sys
from clue_tf.io import outputs as io_outputs
real_replace, calls = os.replace, []
def replace(src, dst):
    calls.append(dst)
    if dst.endswith(sys.argv[2]):
        os._exit(9)  # killed at this rename
    real_replace(src, dst)
io_outputs.os.replace = replace
with io_outputs.replace_together([os.path.join(sys.argv[1], n) for n in ("a.tfrecord", "b.tfrecord")]) as temps:
    for t, text in zip(temps, ("new a", "new b")):
        open(t, "w").write(text)
"""


@pytest.mark.parametrize("killed_at, expected", [(".replace-set.json", "old"), ("b.tfrecord", "new")])
def test_a_set_killed_before_its_commit_stays_old_and_after_it_is_finished_new(tmp_path, killed_at, expected):
    """Killed before the journal is in place: the old pair, temps removed by the next writer.
    Killed between the renames: the next writer into the folder finishes the new pair."""
    import subprocess
    import sys

    from clue_tf.io.outputs import atomic_write

    for name in ("a", "b"):
        (tmp_path / f"{name}.tfrecord").write_text(f"old {name}")
    result = subprocess.run([sys.executable, "-c", KILLED_SET_WRITER, str(tmp_path), killed_at])
    assert result.returncode == 9
    with atomic_write(tmp_path / "other.txt") as f:  # any later writer into the folder
        f.write("x")
    assert {n: (tmp_path / f"{n}.tfrecord").read_text() for n in "ab"} == {n: f"{expected} {n}" for n in "ab"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tfrecord", "b.tfrecord", "other.txt"]


def test_replaced_files_and_folders_get_plain_permissions(tmp_path):
    import os

    from clue_tf.io.outputs import DIR_MODE, FILE_MODE, atomic_directory

    with atomic_write(tmp_path / "f.txt") as f:
        f.write("x")
    with atomic_directory(tmp_path / "d") as folder:
        open(os.path.join(folder, "g.txt"), "w").close()
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == FILE_MODE != 0o600
    assert (tmp_path / "d").stat().st_mode & 0o777 == DIR_MODE != 0o700


def test_a_set_interrupted_between_its_renames_in_process_is_finished_new(tmp_path, monkeypatch):
    """An interrupt (SIGTERM's exception) after the commit point finishes the set before it
    propagates, so no kill inside the process leaves half an old set."""
    import os

    from clue_tf.io import outputs as io_outputs

    for name in ("a", "b"):
        (tmp_path / f"{name}.tfrecord").write_text(f"old {name}")
    real_replace, calls = os.replace, []

    def interrupted_once(src, dst):
        calls.append(dst)
        if str(dst).endswith("b.tfrecord") and calls.count(dst) == 1:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(io_outputs.os, "replace", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        with io_outputs.replace_together([tmp_path / "a.tfrecord", tmp_path / "b.tfrecord"]) as temps:
            for t, text in zip(temps, ("new a", "new b")):
                open(t, "w").write(text)
    assert {n: (tmp_path / f"{n}.tfrecord").read_text() for n in "ab"} == {"a": "new a", "b": "new b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tfrecord", "b.tfrecord"]
