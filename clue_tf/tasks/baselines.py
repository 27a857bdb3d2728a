"""Summaries for run_classifier_clue.sh: the best grid cell per task, a markdown table
(with the published CLUE scores of the model when the registry knows them), and one
submission zip built from the best cells.

  python -m clue_tf.tasks.baselines OUTPUT_ROOT [REGISTRY_NAME_OR_BUNDLE_DIR]
"""

import json
import os
import shutil
import sys
from typing import Optional

from clue_tf.tasks.submission import zip_submissions
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


def size_class(config) -> str:
    """CLUE's size rule for default settings: "tiny" (hidden < 768 or at most 4 layers:
    RoBERTa-tiny, ALBERT-tiny, the small UER miniatures) or "base"."""
    return "tiny" if config.hidden_size < 768 or config.num_hidden_layers <= 4 else "base"


def published_scores(model: Optional[str]) -> tuple[Optional[str], dict]:
    """(registry name, task -> published CLUE score) for a registry name or a bundle folder
    named like one (`RoBERTa-tiny-clue/`, `chinese_L-12_H-768_A-12`); (None, {}) if unknown."""
    from clue_tf.checkpoints.registry import load_registry

    if not model:
        return None, {}
    registry = load_registry()
    key = os.path.basename(os.path.normpath(model)).lower()
    for name, entry in registry.items():
        if key in (name.lower(), name.lower().split("/")[-1]):
            scores = dict(entry.published.get("clue_scores", {}))
            scores.pop("source", None)
            return name, scores
    return None, {}


def summarize(output_root: str, model: Optional[str] = None) -> str:
    """Markdown table of the best dev accuracy per task beside the published score of
    `model` (registry name or bundle folder); collects the best cells' submission files."""
    best = best_cells(output_root)
    name, published = published_scores(model)
    submission_dir = os.path.join(output_root, "submission")
    os.makedirs(submission_dir, exist_ok=True)
    header = f"published ({name})" if name else "published"
    rows = [f"| task | dev accuracy | {header} | best cell |", "| --- | --- | --- | --- |"]
    for task, (cell, accuracy) in best.items():
        reference = f"{published[task]:.2f}" if task in published else "-"
        rows.append(f"| {task} | {100 * accuracy:.2f} | {reference} | {os.path.basename(cell)} |")
        for file_name in os.listdir(cell):
            if file_name.endswith("_predict.json"):
                shutil.copyfile(os.path.join(cell, file_name), os.path.join(submission_dir, file_name))
    archive = zip_submissions(submission_dir)
    note = "\npublished: no figures known for this model."
    if published:
        from clue_tf.checkpoints.registry import load_registry

        source = load_registry()[name].published["clue_scores"].get("source", "CLUE")
        note = f"\npublished: CLUE's own figures for this model ({source})."
    return "\n".join(rows) + f"\n{note}\nsubmission zip: {archive}\n"


if __name__ == "__main__":
    sys.stdout.write(summarize(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
