"""CLUE through an exported SavedModel: export settings for a task, batch prediction writing
run_classifier's leaderboard files, and what bfloat16 or int8 serving costs on a dev set.

The served graph makes the same files as `run_classifier --do_predict`, so a served model
and the trained one can be checked against each other line by line. `serving/` knows no
CLUE; the task's labels and pairing are given to it from here.
"""

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from typing import Optional

import numpy as np
import tensorflow as tf

from clue_tf.errors import ClueTfError
from clue_tf.io.outputs import output_lock
from clue_tf.progress import Progress
from clue_tf.serving.export import ExportSettings, export_saved_model, is_saved_model, read_serving_info
from clue_tf.tasks.clue import ClueTask, Example, get_task, label_descriptions, read_examples
from clue_tf.tasks.submission import prediction_files, write_prediction_set


def for_task(settings: ExportSettings, task_name: Optional[str]) -> ExportSettings:
    """`settings` with CLUE task `task_name`'s labels and pairing (None: features only)."""
    if not task_name:
        return settings
    task = get_task(task_name)
    return dataclasses.replace(settings, task_name=task.name, labels=list(task.labels),
                               pair=len(task.text_fields) == 2)


@dataclass
class ServedClassifier:
    """A loaded SavedModel's classifier signature, its task and its settings."""

    path: str
    signature: object
    task: ClueTask
    info: dict

    def probabilities(self, examples: list[Example], batch_size: int = 64, progress: bool = True) -> np.ndarray:
        """Class probabilities for each example, in order, with progress on stdout."""
        bar = Progress(len(examples), unit_name="example") if progress and examples else None
        if bar:
            bar.update(0)
        rows = []
        for start in range(0, len(examples), batch_size):
            batch = examples[start:start + batch_size]
            inputs = {"text_a": tf.constant([e.text_a for e in batch])}
            if self.info["pair"]:
                inputs["text_b"] = tf.constant([e.text_b or "" for e in batch])
            rows.append(self.signature(**inputs)["probabilities"].numpy())
            if bar:
                bar.update(start + len(batch))
        return np.concatenate(rows) if rows else np.zeros([0, len(self.task.labels)], np.float32)

    def accuracy(self, examples: list[Example], batch_size: int = 64) -> float:
        labels = np.array([self.task.labels.index(e.label) for e in examples])
        return float((self.probabilities(examples, batch_size, progress=False).argmax(-1) == labels).mean())


def load_served_classifier(saved_model: str, task_name: Optional[str] = None) -> ServedClassifier:
    """Loads a SavedModel written by export_saved_model and checks it serves `task_name`."""
    import tensorflow_text  # noqa: F401  (registers the tokenizer's ops)

    if not is_saved_model(saved_model):
        raise ClueTfError(f"--saved_model={saved_model}: no saved_model.pb there")
    loaded = tf.saved_model.load(saved_model)
    info = read_serving_info(loaded)
    if not info.get("task_name"):
        raise ClueTfError(f"{saved_model}: serves features only (exported without --task_name)")
    if task_name and get_task(task_name).name != info["task_name"]:
        raise ClueTfError(f"{saved_model}: serves {info['task_name']}, not --task_name={task_name}")
    served = ServedClassifier(saved_model, loaded.signatures["serving_default"], get_task(info["task_name"]), info)
    served.loaded = loaded  # keeps the restored variables alive with the signature
    return served


def predict_file(saved_model: str, input_file: str, output_dir: str, task_name: Optional[str] = None,
                 batch_size: int = 64, submission_zip: bool = False) -> list[str]:
    """Writes test_results*.tsv and the CLUE submission file for `input_file` (a test file
    with ids); labels.json beside it gives TNEWS's descriptions. For a task's `test.json` the
    task's other test files beside it are predicted too (TNEWS's test1.0.json), so the set is
    run_classifier --do_predict's. Returns the paths written."""
    if batch_size < 1:
        raise ClueTfError(f"--batch_size={batch_size}: must be at least 1")
    if os.path.isfile(output_dir):
        raise ClueTfError(f"--output_dir={output_dir}: is a file")
    served = load_served_classifier(saved_model, task_name)
    task = served.task
    folder, test_name = os.path.split(input_file)
    inputs = {test_name if test_name in task.test_files else "test.json": input_file}
    if test_name == "test.json":
        inputs.update({name: os.path.join(folder, name) for name in task.test_files
                       if name != test_name and os.path.exists(os.path.join(folder, name))})
    examples = {name: read_examples(task, path, labelled=False) for name, path in inputs.items()}
    descriptions = label_descriptions(task, folder) if task.label_desc_field else {}
    with output_lock(output_dir, "predict"):
        files = {}
        for name, rows in examples.items():
            submission = task.test_files.get(name) or task.submission_file
            files.update(prediction_files(task, rows, served.probabilities(rows, batch_size), name, submission,
                                          descriptions))
        return write_prediction_set(output_dir, files, submission_zip)


def report_dev_accuracy(settings: ExportSettings, dev_file: str, batch_size: int = 64) -> str:
    """One line: the exported model's dev accuracy; for bfloat16 and int8 also float32's (exported to
    a scratch folder from the same weights), the change in points and the labels that moved."""
    served = load_served_classifier(settings.export_dir)
    examples = read_examples(served.task, dev_file, labelled=True)
    gold = np.array([served.task.labels.index(e.label) for e in examples])
    predicted = served.probabilities(examples, batch_size, progress=False).argmax(-1)
    accuracy = float((predicted == gold).mean())
    if settings.precision == "float32":
        return f"{dev_file}: dev accuracy {100 * accuracy:.2f} ({len(examples)} examples, float32)"
    with tempfile.TemporaryDirectory() as scratch:
        reference = dataclasses.replace(settings, export_dir=os.path.join(scratch, "float32"),
                                        precision="float32")
        export_saved_model(reference)
        predicted32 = load_served_classifier(reference.export_dir).probabilities(
            examples, batch_size, progress=False).argmax(-1)
    accuracy32 = float((predicted32 == gold).mean())
    moved = int((predicted32 != predicted).sum())
    return (f"{dev_file}: dev accuracy float32 {100 * accuracy32:.2f}, {settings.precision} "
            f"{100 * accuracy:.2f} ({100 * (accuracy - accuracy32):+.2f} points; {moved} of "
            f"{len(examples)} labels differ)")
