"""The CLUE classification tasks: their files, fields, labels and submission files.

Readers take the official layout (`<data_dir>/{train,dev,test}.json`, JSON lines,
UTF-8) and fail on the first bad line with its file and line number. Label lists are
those of CLUE's own baselines, checked against `labels.json` when the folder has one.
"""

import json
import os
from dataclasses import dataclass, field
from typing import Iterator, Optional

from clue_tf.errors import ClueTfError
from clue_tf.io.inputs import read_lines


class TaskDataError(ClueTfError):
    """A CLUE data file is missing, malformed or holds an unknown label."""


@dataclass(frozen=True)
class ClueTask:
    name: str
    text_fields: tuple[str, ...]  # one field: single text; two: a sentence pair
    labels: tuple[str, ...]
    submission_file: str
    label_desc_field: Optional[str] = None  # written into the submission too (TNEWS)
    label_descs: tuple[str, ...] = ()  # CLUE's descriptions, used when labels.json is absent
    skip_label: Optional[str] = None  # lines with this label have no gold label (CMNLI "-")
    test_files: dict = field(default_factory=lambda: {"test.json": None})


TASKS = {
    "afqmc": ClueTask("afqmc", ("sentence1", "sentence2"), ("0", "1"), "afqmc_predict.json"),
    "tnews": ClueTask(
        "tnews", ("sentence",), tuple(str(100 + i) for i in range(17) if i not in (5, 11)),
        "tnews11_predict.json", label_desc_field="label_desc",
        label_descs=tuple(f"news_{name}" for name in (
            "story", "culture", "entertainment", "sports", "finance", "house", "car", "edu", "tech",
            "military", "travel", "world", "stock", "agriculture", "game")),
        test_files={"test.json": "tnews11_predict.json", "test1.0.json": "tnews10_predict.json"}),
    "iflytek": ClueTask("iflytek", ("sentence",), tuple(str(i) for i in range(119)), "iflytek_predict.json"),
    "cmnli": ClueTask("cmnli", ("sentence1", "sentence2"), ("contradiction", "entailment", "neutral"),
                      "cmnli_predict.json", skip_label="-"),
}


@dataclass
class Example:
    """One record: its texts, its label (None in test files) and its test id."""

    text_a: str
    text_b: Optional[str]
    label: Optional[str]
    guid: object = None


def get_task(name: str) -> ClueTask:
    key = name.lower().replace("'", "")
    if key not in TASKS:
        raise ClueTfError(f"unknown task {name!r}; one of {', '.join(TASKS)}")
    return TASKS[key]


def json_records(path: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line of a JSON-lines file."""
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise TaskDataError(f"{path}:{number}: not a JSON object ({e.msg})") from None
        if not isinstance(record, dict):
            raise TaskDataError(f"{path}:{number}: not a JSON object")
        yield number, record


def read_examples(task: ClueTask, path: str, labelled: bool = True) -> list[Example]:
    """Examples of one file; `labelled=False` for test files (which carry `id`).

    Lines whose label is the task's `skip_label` are left out, and their number logged.
    """
    if not os.path.exists(path):
        raise TaskDataError(f"{path}: file not found")
    examples, skipped = [], 0
    known = set(task.labels)
    for number, record in json_records(path):
        missing = [f for f in task.text_fields if f not in record]
        if labelled:
            missing += [] if "label" in record else ["label"]
        elif "id" not in record:
            missing.append("id")
        if missing:
            raise TaskDataError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        label = str(record["label"]) if labelled else None
        if labelled and label == task.skip_label:
            skipped += 1
            continue
        if labelled and label not in known:
            raise TaskDataError(f"{path}:{number}: unknown label {label!r} for {task.name}")
        wrong = [f for f in task.text_fields if not isinstance(record[f], str)]
        if wrong:
            raise TaskDataError(f"{path}:{number}: field {wrong[0]} is {json.dumps(record[wrong[0]])}, not a string")
        texts = [record[f] for f in task.text_fields]
        examples.append(Example(texts[0], texts[1] if len(texts) > 1 else None, label, record.get("id")))
    if skipped:
        import logging

        logging.getLogger(__name__).info("%s: skipped %d lines labelled %r", path, skipped, task.skip_label)
    return examples


def label_descriptions(task: ClueTask, data_dir: str) -> dict[str, str]:
    """label -> description from `labels.json`, checked against the task's label list."""
    path = os.path.join(data_dir, "labels.json")
    if not os.path.exists(path):
        return dict(zip(task.labels, task.label_descs))
    descriptions = {}
    for number, record in json_records(path):
        if "label" not in record:
            raise TaskDataError(f"{path}:{number}: missing field(s) label")
        descriptions[str(record["label"])] = record.get("label_desc", record.get("label_des", ""))
    if set(descriptions) != set(task.labels):
        extra, missing = set(descriptions) - set(task.labels), set(task.labels) - set(descriptions)
        raise TaskDataError(f"{path}: labels disagree with {task.name}'s: extra {sorted(extra)}, "
                            f"missing {sorted(missing)}")
    return descriptions
