r"""Create masked-LM/next-sentence TFRecords from raw text (Google's feature schema).

Input: one sentence per line, a blank line between documents. Example:
  clue-tf create_pretraining_data --input_file=corpus.txt --output_file=out.tfrecord \
    --vocab_file=vocab.txt --max_seq_length=128 --max_predictions_per_seq=20
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import new_flag_values

FLAGS = new_flag_values()
flags.DEFINE_string("input_file", None, "Input raw text file (or comma-separated list of files).",
                    flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "Output TF example file (or comma-separated list of files).",
                    flag_values=FLAGS)
flags.DEFINE_string("vocab_file", None, "The vocabulary file that the BERT model was trained on.",
                    flag_values=FLAGS)
flags.DEFINE_bool("do_lower_case", True, "Whether to lower case the input text.", flag_values=FLAGS)
flags.DEFINE_bool("do_whole_word_mask", False,
                  "Whether to use whole word masking rather than per-WordPiece masking.",
                  flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "Maximum sequence length.", flag_values=FLAGS)
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.", flag_values=FLAGS)
flags.DEFINE_integer("random_seed", 12345, "Random seed for data generation.", flag_values=FLAGS)
flags.DEFINE_integer("dupe_factor", 10,
                     "Number of times to duplicate the input data (with different masks).",
                     flag_values=FLAGS)
flags.DEFINE_float("masked_lm_prob", 0.15, "Masked LM probability.", flag_values=FLAGS)
flags.DEFINE_float("short_seq_prob", 0.1,
                   "Probability of creating sequences which are shorter than the maximum length.",
                   flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("create_pretraining_data")
