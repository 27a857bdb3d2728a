"""Learn a WordPiece vocab.txt from a corpus (as CLUE built its 8k Chinese vocab).

Example:
  clue-tf build_vocab --input_file=corpus.txt --output_file=vocab.txt --vocab_size=8000
"""

from absl import flags

from clue_tf.cli.common_flags import new_flag_values

FLAGS = new_flag_values()
flags.DEFINE_list("input_file", None, "Comma-separated UTF-8 text files.", flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "The vocab.txt to write (atomically).", flag_values=FLAGS)
flags.DEFINE_integer("vocab_size", 8000, "Number of entries, reserved tokens included.",
                     lower_bound=6, flag_values=FLAGS)
flags.DEFINE_bool("do_lower_case", True, "Lower-case and strip accents before learning.",
                  flag_values=FLAGS)
flags.DEFINE_list("reserved_tokens", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                  "Tokens placed first, in this order.", flag_values=FLAGS)
flags.DEFINE_integer("min_count", 1, "Ignore words seen fewer times than this.", lower_bound=1,
                     flag_values=FLAGS)
flags.mark_flags_as_required(["input_file", "output_file"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.tokenization.vocab_builder import build_vocab_file

    size = build_vocab_file(
        fv.output_file, fv.input_file, fv.vocab_size, do_lower_case=fv.do_lower_case,
        reserved_tokens=fv.reserved_tokens, min_count=fv.min_count,
    )
    if size < fv.vocab_size:
        print(f"wrote {size} tokens -> {fv.output_file} ({fv.vocab_size} asked: the corpus holds no more word "
              f"pieces seen at least --min_count={fv.min_count} times; a larger corpus gives more)")
    else:
        print(f"wrote {size} tokens -> {fv.output_file}")
    return 0
