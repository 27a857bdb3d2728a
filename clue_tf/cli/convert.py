"""Convert between original checkpoint bundles, Keras weights and keras-hub presets.

Examples:
  clue-tf convert --bundle_dir=DIR --output_dir=OUT --output_format=keras_hub
  clue-tf convert --keras_model=OUT/model.keras --vocab_file=vocab.txt --output_dir=BUNDLE
  clue-tf convert --init_from_registry=roberta-tiny-clue --vocab_file=vocab.txt --output_dir=BUNDLE
  clue-tf convert --list_registry
"""

from absl import flags

from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("output_dir", None, "Where the converted model goes.", flag_values=FLAGS)
flags.DEFINE_enum("output_format", "bundle", ["bundle", "keras", "keras_hub"],
                  "What to write: an original bundle, OUTPUT_DIR/model.keras, or a keras-hub preset.",
                  flag_values=FLAGS)
flags.DEFINE_string("keras_model", None, "A .keras file holding a BertEncoder, to write as a bundle.",
                    flag_values=FLAGS)
flags.DEFINE_bool("list_registry", False, "List the known models and exit.", flag_values=FLAGS)
flags.DEFINE_string("init_from_registry", None,
                    "Create a randomly initialised bundle of a known architecture (see checkpoints/).",
                    flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.checkpoints import convert, registry
    from clue_tf.checkpoints.bert_bundle import find_bundle_files
    from clue_tf.errors import ClueTfError

    if fv.list_registry:
        for name, entry in registry.load_registry().items():
            print(f"{name:42} {entry.family:8} {entry.num_parameters / 1e6:7.1f}M  {entry.description}")
        return 0
    if not fv.output_dir:
        raise ClueTfError("give --output_dir")
    if fv.init_from_registry:
        if not fv.vocab_file:
            raise ClueTfError("--init_from_registry needs --vocab_file")
        convert.bundle_from_registry(fv.init_from_registry, fv.vocab_file, fv.output_dir)
    elif fv.keras_model:
        if not fv.vocab_file:
            raise ClueTfError("--keras_model needs --vocab_file")
        convert.keras_to_bundle(fv.keras_model, fv.vocab_file, fv.output_dir)
    else:
        files = find_bundle_files(fv.bundle_dir, fv.bert_config_file, fv.vocab_file, fv.init_checkpoint)
        if fv.output_format == "keras":
            convert.bundle_to_keras(files, fv.output_dir)
        elif fv.output_format == "keras_hub":
            convert.bundle_to_keras_hub_preset(files, fv.output_dir)
        else:
            from clue_tf.checkpoints.bert_bundle import load_bert_bundle, write_bert_bundle

            loaded = load_bert_bundle(files, heads="pretraining")
            write_bert_bundle(fv.output_dir, loaded.model, loaded.config, files.vocab_file)
    print(f"wrote {fv.output_dir}")
    return 0
