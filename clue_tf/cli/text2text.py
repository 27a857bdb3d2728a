"""Generate text with a Chinese T5 v1.1 or Pegasus model folder (HF layout).

Examples:
  clue-tf text2text --model_dir=DIR --text='中国的首都是extra0京' --max_length=50
  clue-tf text2text --model_dir=DIR --input_file=in.txt --output_file=out.txt --num_beams=4
"""

from absl import flags

from clue_tf.cli.common_flags import new_flag_values

FLAGS = new_flag_values()
flags.DEFINE_string("model_dir", None, "Folder with config.json, vocab.txt and model.safetensors, "
                    "pytorch_model.bin or a mesh-TF T5 checkpoint.", flag_values=FLAGS)
flags.DEFINE_string("config_file", None, "HF-style config.json if not DIR/config.json.", flag_values=FLAGS)
flags.DEFINE_string("vocab_file", None, "vocab.txt if not DIR/vocab.txt.", flag_values=FLAGS)
flags.DEFINE_string("text", None, "One source text (sentinels as extra0 or <extra_id_0>).", flag_values=FLAGS)
flags.DEFINE_string("input_file", None, "UTF-8 file with one source text per line.", flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "Where to write one generated text per line "
                    "(default: print).", flag_values=FLAGS)
flags.DEFINE_integer("max_length", 50, "Most decoder positions, the start token included.", flag_values=FLAGS)
flags.DEFINE_integer("num_beams", 1, "1: greedy; more: beam search with this many beams.", flag_values=FLAGS)
flags.DEFINE_integer("batch_size", 16, "Sources generated together.", flag_values=FLAGS)
flags.DEFINE_integer("max_source_length", 512, "Source tokens kept, [CLS] and [SEP] included.",
                     flag_values=FLAGS)
flags.DEFINE_bool("do_lower_case", True, "Lower-case the source as BERT's uncased tokenizer.",
                  flag_values=FLAGS)
flags.mark_flag_as_required("model_dir", flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.checkpoints.folders import load, locate
    from clue_tf.cli.common_flags import require_at_least
    from clue_tf.errors import ClueTfError
    from clue_tf.inference.text2text import Text2Text
    from clue_tf.io.inputs import read_lines
    from clue_tf.io.outputs import atomic_write, check_file_target
    from clue_tf.models.seq2seq_config import Seq2SeqConfig

    if (fv.text is None) == (fv.input_file is None):
        raise ClueTfError("give exactly one of --text and --input_file")
    # the start token and at least one generated token; [CLS] text [SEP] needs three positions
    require_at_least(fv, max_length=2, num_beams=1, batch_size=1, max_source_length=3)
    if fv.output_file:
        check_file_target(fv.output_file)
    texts = [fv.text] if fv.text is not None else list(read_lines(fv.input_file))
    loaded = load(locate(fv.model_dir, config_file=fv.config_file, vocab_file=fv.vocab_file, need_vocab=True))
    if not isinstance(loaded.config, Seq2SeqConfig):
        raise ClueTfError(f"{fv.model_dir}: a {loaded.family.name} model; text2text needs T5 or Pegasus")
    generator = Text2Text(loaded.model, loaded.config, loaded.vocab_file, do_lower_case=fv.do_lower_case,
                          max_source_length=fv.max_source_length)
    outputs = generator.generate(texts, max_length=fv.max_length, num_beams=fv.num_beams,
                                 batch_size=fv.batch_size)
    if fv.output_file:
        with atomic_write(fv.output_file) as f:
            f.writelines(line + "\n" for line in outputs)
    else:
        print("\n".join(outputs))
    return 0
