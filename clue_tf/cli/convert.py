"""Convert a model between any two formats, or create one from the registry.

Formats: bundle (Google TF1: bert_model.ckpt + bert_config.json + vocab.txt), hf
(config.json + model.safetensors + vocab.txt, loadable by transformers), uer (UER-py
model.bin + config.json), keras_hub (a preset plain keras-hub loads), keras (model.keras).
Only what the source holds is written: no head that was not in it.

Examples:
  clue-tf convert --bundle_dir=chinese_roberta_L-2_H-128 --output_dir=OUT --output_format=bundle
  clue-tf convert --bundle_dir=RoBERTa-tiny-clue --output_dir=OUT --output_format=hf
  clue-tf convert --keras_model=OUT/model.keras --vocab_file=vocab.txt --output_dir=BUNDLE
  clue-tf convert --init_from_registry=roberta-tiny-clue --vocab_file=vocab.txt --output_dir=BUNDLE
  clue-tf convert --list_registry
"""

from absl import flags

from clue_tf.checkpoints.formats import FORMAT_NAMES
from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("output_dir", None, "Where the converted model goes.", flag_values=FLAGS)
flags.DEFINE_enum("output_format", "bundle", list(FORMAT_NAMES),
                  "What to write (see above).", flag_values=FLAGS)
flags.DEFINE_string("keras_model", None, "A .keras file holding one of our models, to write in "
                    "--output_format.", flag_values=FLAGS)
flags.DEFINE_bool("allow_gelu_approximation", False,
                  "keras_hub: write an exact-GELU model (UER's) into keras-hub's BertBackbone, which "
                  "computes the tanh approximation (outputs differ by ~1e-3).", flag_values=FLAGS)
flags.DEFINE_bool("list_registry", False, "List the known models and exit.", flag_values=FLAGS)
flags.DEFINE_string("init_from_registry", None,
                    "Create a randomly initialised model of a known architecture (see checkpoints/).",
                    flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.checkpoints import convert, registry
    from clue_tf.cli.common_flags import locate_model
    from clue_tf.errors import ClueTfError

    if fv.list_registry:
        for name, entry in registry.load_registry().items():
            formats = ",".join(entry.published_formats)
            source = (f"hf://{entry.source['hf']}" if entry.source.get("hf")
                      else entry.source.get("url") or "by hand")
            aliases = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
            print(f"{name:42} {entry.family.name:8} {entry.num_parameters / 1e6:7.1f}M  {formats:8} "
                  f"{entry.description}{aliases}; from {source}")
        return 0
    if not fv.output_dir:
        raise ClueTfError("give --output_dir")
    if fv.init_from_registry:
        if not fv.vocab_file:
            raise ClueTfError("--init_from_registry needs --vocab_file")
        convert.model_from_registry(fv.init_from_registry, fv.vocab_file, fv.output_dir)
    elif fv.keras_model:
        if not fv.vocab_file:
            raise ClueTfError("--keras_model needs --vocab_file")
        convert.keras_to_format(fv.keras_model, fv.vocab_file, fv.output_dir, fv.output_format)
    else:
        options = {}
        if fv.output_format == "keras_hub":
            options = {"allow_gelu_approximation": fv.allow_gelu_approximation,
                       "do_lower_case": fv.do_lower_case}
        loaded, heads = convert.convert_model(locate_model(fv), fv.output_dir, fv.output_format,
                                              allow_unused=fv.allow_unused_weights, **options)
        print(f"{loaded.family.name} model, heads written: {', '.join(heads) or 'none'}")
    print(f"wrote {fv.output_dir}")
    return 0

