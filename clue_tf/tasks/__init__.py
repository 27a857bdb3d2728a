"""The CLUE tasks: readers, run_classifier, submission files, workflows through a served model, baselines."""
