r"""Fine-tune, evaluate and predict a CLUE classification task (Google's run_classifier flags).

Example:
  clue-tf run_classifier --task_name=tnews --data_dir=CLUE/tnews_public \
    --bundle_dir=chinese_roberta_L-4_H-312 --do_train=true --do_eval=true --output_dir=out
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
flags.DEFINE_string("data_dir", None, "The input data dir: train.json, dev.json, test.json.",
                    flag_values=FLAGS)
flags.DEFINE_string("task_name", None, "The name of the task to train (afqmc, tnews, iflytek, cmnli).",
                    flag_values=FLAGS)
flags.DEFINE_bool("do_predict", False, "Whether to run the model in inference mode on the test set.",
                  flag_values=FLAGS)
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.", flag_values=FLAGS)
flags.DEFINE_float("num_train_epochs", 3.0, "Total number of training epochs to perform.",
                   flag_values=FLAGS)
flags.DEFINE_float("warmup_proportion", 0.1,
                   "Proportion of training to perform linear learning rate warmup for.",
                   flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("run_classifier")
