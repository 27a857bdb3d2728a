"""vocab.txt loading: Google's line-order ids, stripping, duplicates and clear errors."""

import logging

import pytest

from clue_tf.errors import VocabError
from clue_tf.tokenization import load_vocab

BASE = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write(tmp_path, lines, name="vocab.txt", raw=None):
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def test_ids_follow_line_order_and_lines_are_stripped(tmp_path):
    vocab = load_vocab(write(tmp_path, BASE + ["  中 ", "##国\r", "\tabc"]))
    assert vocab.ids["中"] == 5 and vocab.ids["##国"] == 6 and vocab.ids["abc"] == 7
    assert len(vocab) == 8


def test_last_line_without_newline_counts(tmp_path):
    vocab = load_vocab(write(tmp_path, [], raw=("\n".join(BASE + ["x"])).encode()))
    assert len(vocab) == 6 and vocab.ids["x"] == 5


def test_duplicate_token_keeps_later_id_and_warns_naming_both_lines(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        vocab = load_vocab(write(tmp_path, BASE + ["a", "b", "a"]))
    assert vocab.ids["a"] == 7 and vocab.ids["b"] == 6 and len(vocab) == 8
    assert "line 8 repeats line 6" in caplog.text


def test_missing_required_token_names_file_and_token(tmp_path):
    path = write(tmp_path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
    with pytest.raises(VocabError, match=r"vocab\.txt: vocab lacks required token\(s\) \[MASK\]"):
        load_vocab(path)


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(VocabError, match="nope.txt: cannot read vocab file"):
        load_vocab(tmp_path / "nope.txt")


def test_non_utf8_line_is_named(tmp_path):
    path = write(tmp_path, [], raw=b"[PAD]\n[UNK]\n\xff\xfe\n")
    with pytest.raises(VocabError, match=r"vocab\.txt:3: vocab line is not valid UTF-8"):
        load_vocab(path)


def test_special_tokens_are_bracketed_and_sentinel_entries(tmp_path):
    vocab = load_vocab(write(tmp_path, BASE + ["[unused1]", "extra0", "<extra_id_1>", "a", "[x y]"]))
    assert set(vocab.special_tokens()) == set(BASE) | {"[unused1]", "extra0", "<extra_id_1>"}
