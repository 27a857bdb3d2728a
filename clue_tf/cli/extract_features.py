"""Extract contextual embeddings (Google's extract_features JSON-lines output).

Input: one sentence per line, or `text_a ||| text_b`. Example:
  clue-tf extract_features --input_file=in.txt --output_file=out.jsonl --bundle_dir=DIR
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("input_file", None, "Text, one example per line.", flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "JSON lines output.", flag_values=FLAGS)
flags.DEFINE_string("layers", "-1,-2,-3,-4", "Layer indexes to output.", flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "The maximum total input sequence length after WordPiece.",
                     flag_values=FLAGS)
flags.DEFINE_integer("batch_size", 32, "Batch size for predictions.", flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("extract_features")
