"""run_classifier's input files, read and checked before any model is built (the flags are
checked by ClassifierSettings.check).

Every problem is one ClueTfError naming the flag or the file and line, so a run never
trains for an hour and then fails on a missing test file or a malformed test line.
"""

import os

from clue_tf.errors import ClueTfError
from clue_tf.tasks.clue import ClueTask, read_examples


def read_inputs(settings, task: ClueTask) -> dict:
    """Every file the run will read, read now (file name -> examples): train and dev for
    --do_train, dev for --do_eval, the test files for --do_predict (test.json required)."""
    wanted = []
    if settings.do_train:
        wanted += [(settings.train_file, True), (settings.dev_file, True)]
    if settings.do_eval:
        wanted.append((settings.dev_file, True))
    if settings.do_predict:
        wanted += [(name, False) for name in task.test_files
                   if name == "test.json" or os.path.exists(os.path.join(settings.data_dir, name))]
    examples = {}
    for name, labelled in wanted:
        if name not in examples:
            examples[name] = read_examples(task, os.path.join(settings.data_dir, name), labelled)
            if not examples[name]:
                raise ClueTfError(f"{os.path.join(settings.data_dir, name)}: no examples")
    return examples
