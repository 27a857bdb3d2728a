"""Summaries for run_classifier_clue.sh: the best grid cell per task, a markdown table,
and one submission zip built from the best cells.

  python -m clue_tf.tasks.baselines OUTPUT_ROOT
"""

import json
import os
import shutil
import sys

from clue_tf.tasks.classifier import zip_submissions
from clue_tf.tasks.clue import TASKS


def best_cells(output_root: str) -> dict[str, tuple[str, float]]:
    """task -> (cell folder, dev accuracy) of the best finished cell under OUTPUT_ROOT/TASK/."""
    best = {}
    for task in TASKS:
        task_root = os.path.join(output_root, task)
        if not os.path.isdir(task_root):
            continue
        for cell in sorted(os.listdir(task_root)):
            path = os.path.join(task_root, cell, "eval_results.json")
            if os.path.exists(path):
                accuracy = json.load(open(path))["eval_accuracy"]
                if task not in best or accuracy > best[task][1]:
                    best[task] = (os.path.join(task_root, cell), accuracy)
    return best


def summarize(output_root: str) -> str:
    """Markdown table of the best dev accuracy per task; collects their submission files."""
    best = best_cells(output_root)
    submission_dir = os.path.join(output_root, "submission")
    os.makedirs(submission_dir, exist_ok=True)
    rows = ["| task | dev accuracy | best cell |", "| --- | --- | --- |"]
    for task, (cell, accuracy) in best.items():
        rows.append(f"| {task} | {100 * accuracy:.2f} | {os.path.basename(cell)} |")
        for name in os.listdir(cell):
            if name.endswith("_predict.json"):
                shutil.copyfile(os.path.join(cell, name), os.path.join(submission_dir, name))
    archive = zip_submissions(submission_dir)
    return "\n".join(rows) + f"\n\nsubmission zip: {archive}\n"


if __name__ == "__main__":
    sys.stdout.write(summarize(sys.argv[1]))
