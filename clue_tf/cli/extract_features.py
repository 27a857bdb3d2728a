"""Extract contextual embeddings (Google's extract_features JSON-lines output).

Input: one sentence per line, or `text_a ||| text_b`. Example:
  clue-tf extract_features --input_file=in.txt --output_file=out.jsonl --bundle_dir=DIR
"""

from absl import flags

from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("input_file", None, "Text, one example per line.", flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "JSON lines output.", flag_values=FLAGS)
flags.DEFINE_string("layers", "-1,-2,-3,-4", "Layer indexes to output (the default keeps those a "
                    "model with fewer than 4 layers has).", flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "The maximum total input sequence length after WordPiece.",
                     flag_values=FLAGS)
flags.DEFINE_integer("batch_size", 32, "Batch size for predictions.", flag_values=FLAGS)
flags.DEFINE_bool("use_one_hot_embeddings", False,
                  "Accepted for compatibility with Google's script; has no effect.", flag_values=FLAGS)
flags.DEFINE_bool("use_tpu", False, "Accepted for compatibility; extraction runs on this machine.",
                  flag_values=FLAGS)
flags.DEFINE_string("master", None, "Accepted for compatibility; unused.", flag_values=FLAGS)
flags.DEFINE_integer("num_tpu_cores", 8, "Accepted for compatibility; unused.", flag_values=FLAGS)
flags.mark_flags_as_required(["input_file", "output_file"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.checkpoints.folders import load
    from clue_tf.cli.common_flags import locate_model, require_at_least
    from clue_tf.errors import ClueTfError
    from clue_tf.inference.features import extract_features
    from clue_tf.io.outputs import check_file_target
    from clue_tf.tokenization.full_tokenizer import FullTokenizer

    require_at_least(fv, batch_size=1, max_seq_length=3)
    try:
        layers = [int(x) for x in fv.layers.split(",")]
    except ValueError:
        raise ClueTfError(f"--layers={fv.layers}: give comma-separated layer indexes, e.g. -1,-2") from None
    check_file_target(fv.output_file)
    loaded = load(locate_model(fv, need_vocab=True), allow_unused=fv.allow_unused_weights)
    depth = getattr(loaded.config, "num_hidden_layers", len(layers))
    if not fv["layers"].present and depth < len(layers):
        layers = layers[:depth]
        print(f"a {depth}-layer model: --layers={','.join(map(str, layers))}")
    tokenizer = FullTokenizer(loaded.vocab, do_lower_case=fv.do_lower_case)
    count = extract_features(loaded.model, tokenizer, fv.input_file, fv.output_file, layers,
                             fv.max_seq_length, fv.batch_size)
    print(f"wrote features of {count} lines -> {fv.output_file}")
    return 0
