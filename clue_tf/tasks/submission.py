"""CLUE's output files: Google's test_results.tsv, the leaderboard's *_predict.json and the
submission zip, written as one set (no TensorFlow needed)."""

import io
import json
import os
import zipfile
from typing import Optional

import numpy as np

from clue_tf.io.outputs import atomic_write, replace_together
from clue_tf.tasks.clue import ClueTask, Example


def prediction_files(task: ClueTask, examples: list[Example], probabilities: np.ndarray, test_file: str,
                     submission: str, descriptions: dict) -> dict[str, str]:
    """Google's test_results.tsv (probabilities) and CLUE's submission file for one test
    file, as {file name: text}."""
    tsv_name = "test_results.tsv" if test_file == "test.json" else f"test_results_{test_file[:-5]}.tsv"
    tsv = "".join("\t".join(str(float(p)) for p in row) + "\n" for row in probabilities)
    records = []
    for example, row in zip(examples, probabilities):
        label = task.labels[int(row.argmax())]
        record = {"id": example.guid, "label": label}
        if task.label_desc_field:
            record[task.label_desc_field] = descriptions.get(label, "")
        records.append(json.dumps(record, ensure_ascii=False) + "\n")
    return {tsv_name: tsv, submission: "".join(records)}


def write_prediction_set(output_dir: str, files: dict[str, str], submission_zip: bool) -> list[str]:
    """Writes one run's prediction files (and submission.zip of its *_predict.json files) as
    one set, so a kill never leaves new predictions beside an old zip; returns the
    submission paths, then the zip's."""
    contents = {name: text.encode("utf-8") for name, text in files.items()}
    submissions = sorted(name for name in files if name.endswith("_predict.json"))
    if submission_zip:
        contents["submission.zip"] = zip_bytes({name: contents[name] for name in submissions})
    paths = [os.path.join(output_dir, name) for name in contents]
    with replace_together(paths) as temporary:
        for tmp_path, data in zip(temporary, contents.values()):
            with open(tmp_path, "wb") as f:
                f.write(data)
    return [os.path.join(output_dir, name) for name in submissions + (["submission.zip"] if submission_zip else [])]


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive holding `files`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_submissions(output_dir: str, files: Optional[list] = None, name: str = "submission.zip") -> str:
    """The given submission files of `output_dir` (default: every *_predict.json) in one zip,
    written atomically."""
    files = sorted(files if files is not None else (f for f in os.listdir(output_dir) if f.endswith("_predict.json")))
    contents = {}
    for file_name in files:
        with open(os.path.join(output_dir, file_name), "rb") as f:
            contents[file_name] = f.read()
    path = os.path.join(output_dir, name)
    with atomic_write(path, "wb") as f:
        f.write(zip_bytes(contents))
    return path

