"""Atomic writes and strict UTF-8 line reading."""

import pytest

from clue_tf.errors import InputTextError
from clue_tf.io_utils import atomic_write, read_lines


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
