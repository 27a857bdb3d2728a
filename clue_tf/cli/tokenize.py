"""Tokenize a text file with Google BERT's exact WordPiece rules.

Each input line becomes one output line of space-separated tokens (an empty line stays
empty). Example:
  clue-tf tokenize --vocab_file=vocab.txt --input_file=in.txt --output_file=out.txt
"""

from absl import flags

from clue_tf.cli.common_flags import new_flag_values

FLAGS = new_flag_values()
flags.DEFINE_string("vocab_file", None, "The vocabulary file (vocab.txt).", flag_values=FLAGS)
flags.DEFINE_string("bundle_dir", None, "Take the vocab from this model folder (any format --bundle_dir takes elsewhere).", flag_values=FLAGS)
flags.DEFINE_bool("do_lower_case", True, "Lower-case and strip accents (Chinese models: true).",
                  flag_values=FLAGS)
flags.DEFINE_string("input_file", None, "UTF-8 text, one text per line.", flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "Where the tokens go (written atomically).",
                    flag_values=FLAGS)
flags.DEFINE_bool("in_graph", False, "Tokenize with TensorFlow ops (same tokens, faster).",
                  flag_values=FLAGS)
flags.DEFINE_bool("keep_special_tokens", False,
                  "Keep [MASK], [SEP], extra0, ... written in the text as single tokens.",
                  flag_values=FLAGS)
flags.DEFINE_enum("errors", "strict", ["strict", "replace"],
                  "A line that is not UTF-8: stop with an error naming it, or decode it with "
                  "U+FFFD (which tokenization then drops).", flag_values=FLAGS)
flags.mark_flags_as_required(["input_file", "output_file"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.checkpoints.folders import locate_vocab
    from clue_tf.errors import ClueTfError
    from clue_tf.tokenization.files import tokenize_file

    vocab_file = fv.vocab_file or (locate_vocab(fv.bundle_dir) if fv.bundle_dir else None)
    if not vocab_file:
        raise ClueTfError("give --vocab_file or --bundle_dir")
    count = tokenize_file(
        fv.input_file, fv.output_file, vocab_file,
        do_lower_case=fv.do_lower_case, in_graph=fv.in_graph, errors=fv.errors,
        keep_special_tokens=fv.keep_special_tokens,
    )
    print(f"tokenized {count} lines -> {fv.output_file}")
    return 0
