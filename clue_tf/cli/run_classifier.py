"""Fine-tune, evaluate and predict a CLUE classification task (Google's run_classifier flags).

Example:
  clue-tf run_classifier --task_name=tnews --data_dir=CLUE/tnews_public \
    --bundle_dir=chinese_roberta_L-4_H-312 --do_train=true --do_eval=true --output_dir=out
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import define_bundle_flags, define_tpu_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
define_tpu_flags(FLAGS)
flags.DEFINE_string("data_dir", None, "The input data dir: train.json, dev.json, test.json.",
                    flag_values=FLAGS)
flags.DEFINE_string("task_name", None, "The name of the task to train (afqmc, tnews, iflytek, cmnli).",
                    flag_values=FLAGS)
flags.DEFINE_string("output_dir", None, "Where checkpoints, eval results and predictions go.",
                    flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "Maximum total input length after WordPiece.",
                     flag_values=FLAGS)
flags.DEFINE_bool("do_train", False, "Whether to run training.", flag_values=FLAGS)
flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.", flag_values=FLAGS)
flags.DEFINE_bool("do_predict", False, "Whether to run the model in inference mode on the test set.",
                  flag_values=FLAGS)
flags.DEFINE_integer("train_batch_size", 32, "Total batch size for training.", flag_values=FLAGS)
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.", flag_values=FLAGS)
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.", flag_values=FLAGS)
flags.DEFINE_float("learning_rate", 5e-5, "The initial learning rate for Adam.", flag_values=FLAGS)
flags.DEFINE_float("num_train_epochs", 3.0, "Total number of training epochs to perform.",
                   flag_values=FLAGS)
flags.DEFINE_float("warmup_proportion", 0.1,
                   "Proportion of training to perform linear learning rate warmup for.",
                   flag_values=FLAGS)
flags.DEFINE_integer("save_checkpoints_steps", 1000, "How often to save the model checkpoint.",
                     flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("run_classifier")
