"""What bfloat16 serving costs in accuracy: the exported model scored on a dev set beside float32."""

import dataclasses
import os
import tempfile

import numpy as np

from clue_tf.serving.export import ExportSettings, export_saved_model
from clue_tf.serving.predict import load_served_classifier
from clue_tf.tasks.clue import read_examples


def report_dev_accuracy(settings: ExportSettings, dev_file: str, batch_size: int = 64) -> str:
    """One line: the exported model's dev accuracy; for bfloat16 also float32's (exported to
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
