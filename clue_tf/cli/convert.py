"""Convert between original checkpoint bundles, Keras weights and keras-hub presets.

Example:
  clue-tf convert --bundle_dir=DIR --output_dir=OUT --output_format=keras_hub
"""

from absl import flags

from clue_tf.cli.app import not_available
from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("output_dir", None, "Where the converted model goes.", flag_values=FLAGS)
flags.DEFINE_enum("output_format", "bundle", ["bundle", "keras", "keras_hub"],
                  "What to write.", flag_values=FLAGS)
flags.DEFINE_string("init_from_registry", None,
                    "Create a randomly initialised bundle of a known architecture (see checkpoints/).",
                    flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    return not_available("convert")
