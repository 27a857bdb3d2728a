"""Predict the tokens behind each [MASK] in a text with a bundle's MLM head.

Example:
  clue-tf fill_mask --bundle_dir=DIR --text='中国的首都是[MASK]京。' --top_k=5
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("text", None, "Text with one or more [MASK] tokens.", flag_values=FLAGS)
flags.DEFINE_integer("top_k", 5, "Candidates to show per mask.", flag_values=FLAGS)
flags.DEFINE_bool("json", False, "Print JSON instead of a table.", flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("fill_mask")
