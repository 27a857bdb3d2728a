"""CLUE readers on the real files, and their errors on bad lines."""

import pytest

from clue_tf.tasks.clue import TASKS, TaskDataError, get_task, label_descriptions, read_examples
from tests.helpers import shared_path

EXPECTED = {  # records per file in ../shared (CMNLI dev minus its 185 "-" lines)
    ("afqmc", "train.json"): 34334, ("afqmc", "dev.json"): 4316, ("afqmc", "test.json"): 3861,
    ("tnews", "train.json"): 53360, ("tnews", "dev.json"): 10000, ("tnews", "test.json"): 10000,
    ("tnews", "test1.0.json"): 10000, ("iflytek", "dev.json"): 2599, ("iflytek", "test.json"): 2600,
    ("cmnli", "dev.json"): 12426 - 185, ("cmnli", "test.json"): 13880,
}


@pytest.mark.parametrize("task_name, file_name", sorted(EXPECTED))
def test_every_record_of_the_shared_files_parses(task_name, file_name):
    path = shared_path(f"data/clue/{task_name}_public/{file_name}")
    examples = read_examples(TASKS[task_name], str(path), labelled=not file_name.startswith("test"))
    assert len(examples) == EXPECTED[(task_name, file_name)]
    if file_name.startswith("test"):
        assert [e.guid for e in examples] == list(range(len(examples)))
    else:
        assert {e.label for e in examples} <= set(TASKS[task_name].labels)
    assert all(e.text_a for e in examples) and all((e.text_b is None) == (len(TASKS[task_name].text_fields) == 1)
                                                   for e in examples)


@pytest.mark.parametrize("task_name", ["tnews", "iflytek"])
def test_labels_json_agrees_with_the_task_labels(task_name):
    descriptions = label_descriptions(TASKS[task_name], str(shared_path(f"data/clue/{task_name}_public")))
    assert set(descriptions) == set(TASKS[task_name].labels)


@pytest.mark.parametrize("content, message", [
    ('{"sentence": "好", "label": "100"}\n{"sentence": "坏", "label":\n', r"dev\.json:2: not a JSON object"),
    ('{"sentence": "好", "label": "100"}\n{"label": "101"}\n', r"dev\.json:2: missing field\(s\) sentence"),
    ('{"sentence": "好", "label": "105"}\n', r"dev\.json:1: unknown label '105' for tnews"),
])
def test_bad_lines_are_named_by_file_and_line(tmp_path, content, message):
    path = tmp_path / "dev.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaskDataError, match=message):
        read_examples(get_task("tnews"), str(path))


def test_test_file_without_id_is_named(tmp_path):
    path = tmp_path / "test.json"
    path.write_text('{"sentence1": "a", "sentence2": "b"}\n', encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"test\.json:1: missing field\(s\) id"):
        read_examples(get_task("afqmc"), str(path), labelled=False)


def test_task_names_accept_clue_spellings():
    assert get_task("TNEWS'").name == "tnews" and get_task("cmnli").labels[0] == "contradiction"
