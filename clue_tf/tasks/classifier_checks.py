"""run_classifier's flags and input files, checked before any model is built.

Every problem is one ClueTfError naming the flag or the file and line, so a run never
trains for an hour and then fails on a missing test file or a malformed test line.
"""

import os

from clue_tf.errors import ClueTfError
from clue_tf.tasks.clue import ClueTask, read_examples


def check_flags(s) -> None:
    """The flag values alone (s: ClassifierSettings)."""
    if not (s.do_train or s.do_eval or s.do_predict or s.export_saved_model):
        raise ClueTfError("nothing to do: set at least one of --do_train, --do_eval, --do_predict "
                          "(or --export_saved_model)")
    positive = {"train_batch_size": s.train_batch_size, "eval_batch_size": s.eval_batch_size,
                "predict_batch_size": s.predict_batch_size}
    for name, value in positive.items():
        if value < 1:
            raise ClueTfError(f"--{name}={value}: must be at least 1")
    if s.max_seq_length < 3:
        raise ClueTfError(f"--max_seq_length={s.max_seq_length}: must be at least 3 ([CLS] text [SEP])")
    if s.do_train:
        if not s.num_train_epochs > 0:
            raise ClueTfError(f"--num_train_epochs={s.num_train_epochs}: must be above 0")
        if not 0 <= s.warmup_proportion <= 1:
            raise ClueTfError(f"--warmup_proportion={s.warmup_proportion}: must be in [0, 1]")
        if not s.learning_rate > 0:
            raise ClueTfError(f"--learning_rate={s.learning_rate}: must be above 0")
        if s.max_train_examples is not None and s.max_train_examples < 1:
            raise ClueTfError(f"--max_train_examples={s.max_train_examples}: must be at least 1 "
                              "(leave it out for all)")
    if os.path.isfile(s.output_dir):
        raise ClueTfError(f"--output_dir={s.output_dir}: is a file")
    if not os.path.isdir(s.data_dir):
        raise ClueTfError(f"--data_dir={s.data_dir}: no such folder")


def read_inputs(s, task: ClueTask) -> dict:
    """Every file the run will read, read now (file name -> examples): train and dev for
    --do_train, dev for --do_eval, the test files for --do_predict (test.json required)."""
    wanted = []
    if s.do_train:
        wanted += [(s.train_file, True), (s.dev_file, True)]
    if s.do_eval:
        wanted.append((s.dev_file, True))
    if s.do_predict:
        wanted += [(name, False) for name in task.test_files
                   if name == "test.json" or os.path.exists(os.path.join(s.data_dir, name))]
    examples = {}
    for name, labelled in wanted:
        if name not in examples:
            examples[name] = read_examples(task, os.path.join(s.data_dir, name), labelled)
            if not examples[name]:
                raise ClueTfError(f"{os.path.join(s.data_dir, name)}: no examples")
    return examples
