r"""Pretrain a BERT-family model (masked LM, optional NSP) from TFRecords under a tf.distribute strategy.

Example:
  clue-tf run_pretraining --input_file=sample.tfrecord --output_dir=out \
    --bert_config_file=bert_config.json --do_train=true --num_train_steps=1000
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import (
    define_bundle_flags,
    define_tpu_flags,
    define_training_flags,
    new_flag_values,
)

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
define_tpu_flags(FLAGS)
define_training_flags(FLAGS)
flags.DEFINE_string("input_file", None, "Input TF example files (can be a glob or comma separated).",
                    flag_values=FLAGS)
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.", flag_values=FLAGS)
flags.DEFINE_integer("num_train_steps", 100000, "Number of training steps.", flag_values=FLAGS)
flags.DEFINE_integer("num_warmup_steps", 10000, "Number of warmup steps.", flag_values=FLAGS)
flags.DEFINE_integer("max_eval_steps", 100, "Maximum number of eval steps.", flag_values=FLAGS)
flags.DEFINE_enum("optimizer", "adamw", ["adamw", "lamb"], "Keras optimizer.", flag_values=FLAGS)
flags.DEFINE_bool("dynamic_masking", False, "Draw new masks each epoch from unmasked records.",
                  flag_values=FLAGS)
flags.DEFINE_bool("nsp", True, "Train the next-sentence-prediction head too.", flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("run_pretraining")
