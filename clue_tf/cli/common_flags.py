"""Flags several commands share, with Google's names, defaults and help texts."""

from typing import Optional

from absl import flags

from clue_tf.cli.app import define_verbosity_flag


def new_flag_values() -> flags.FlagValues:
    """A command's own flag namespace, with --verbosity already defined."""
    flag_values = flags.FlagValues()
    define_verbosity_flag(flag_values)
    return flag_values


def define_bundle_flags(fv: flags.FlagValues, checkpoint: bool = True, config: bool = True) -> None:
    """--bundle_dir (alias --model_dir) and the files it stands for, as in Google's scripts."""
    flags.DEFINE_string(
        "bundle_dir", None,
        "A model folder in any form it is published in: a Google bundle (bert_model.ckpt + "
        "bert_config.json + vocab.txt), an HF folder (config.json + model.safetensors / "
        "pytorch_model.bin / tf_model.h5), a UER-py checkpoint, a keras-hub preset, or an unzipped "
        "release folder around one. --bert_config_file, --vocab_file and --init_checkpoint win "
        "over what it holds.", flag_values=fv)
    flags.DEFINE_alias("model_dir", "bundle_dir", flag_values=fv)
    if config:
        flags.DEFINE_string(
            "bert_config_file", None,
            "The config json file corresponding to the pre-trained BERT model. "
            "This specifies the model architecture.", flag_values=fv)
    flags.DEFINE_string(
        "vocab_file", None, "The vocabulary file that the BERT model was trained on.",
        flag_values=fv)
    if checkpoint:
        flags.DEFINE_string(
            "init_checkpoint", None,
            "Initial checkpoint (usually from a pre-trained BERT model): a TF1 prefix, a "
            ".safetensors / .bin / .h5 file or a keras-hub preset folder.", flag_values=fv)
        flags.DEFINE_bool(
            "allow_unused_weights", False,
            "Load even when the checkpoint holds weights the model has no place for (they are "
            "listed); without it that is an error.", flag_values=fv)
    flags.DEFINE_bool(
        "do_lower_case", True,
        "Whether to lower case the input text. Should be True for uncased and Chinese "
        "models and False for cased models.", flag_values=fv)


def settings_from_flags(cls, fv: flags.FlagValues, renames: Optional[dict] = None, **given):
    """A settings dataclass from the flags that share its field names (`renames`: field ->
    flag where Google's flag name differs, e.g. seed -> random_seed); `given` wins."""
    import dataclasses

    renames = renames or {}
    values = {}
    for field in dataclasses.fields(cls):
        flag = renames.get(field.name, field.name)
        if field.name not in given and flag in fv:
            values[field.name] = fv[flag].value
    return cls(**values, **given)


def require_at_least(fv: flags.FlagValues, **lowest: int) -> None:
    """Integer flags below their lowest sensible value are one error naming the flag."""
    from clue_tf.errors import ClueTfError

    for name, low in lowest.items():
        if fv[name].value is not None and fv[name].value < low:
            raise ClueTfError(f"--{name}={fv[name].value}: must be at least {low}")


def locate_model(fv: flags.FlagValues, need_weights: bool = True, family: Optional[str] = None,
                 need_vocab: bool = False):
    """The model files the model flags name (checkpoints.folders.locate)."""
    from clue_tf.checkpoints.folders import locate

    def value(name: str) -> Optional[str]:
        return fv[name].value if name in fv else None

    return locate(value("bundle_dir"), config_file=value("bert_config_file"), vocab_file=value("vocab_file"),
                  weights=value("init_checkpoint"), family=family, need_weights=need_weights,
                  need_vocab=need_vocab)


def adopt_model_folder(fv: flags.FlagValues) -> None:
    """A model named by --bundle_dir (--model_dir) as hf://, a registry name or a URL becomes the
    local folder it resolves to; the folder's HF tokenizer files set --do_lower_case, and a
    --do_lower_case given that contradicts them is an error."""
    from clue_tf.checkpoints import sources
    from clue_tf.checkpoints.folders import folder_lower_case_of
    from clue_tf.errors import VocabError

    for name in ("bundle_dir", "model_dir"):
        if name not in fv or not fv[name].value:
            continue
        local = sources.resolve(fv[name].value)
        if local != fv[name].value:
            setattr(fv, name, local)
        wanted = folder_lower_case_of(local)
        if wanted is None or "do_lower_case" not in fv or fv.do_lower_case == wanted:
            continue
        if fv["do_lower_case"].present:
            raise VocabError(f"--do_lower_case={str(fv.do_lower_case).lower()}, but {local}'s tokenizer files "
                             f"say do_lower_case={str(wanted).lower()}; drop the flag to follow them")
        fv.do_lower_case = wanted


def define_tpu_flags(fv: flags.FlagValues) -> None:
    """Google's TPU flags plus --strategy and --mixed_precision."""
    flags.DEFINE_bool("use_tpu", False, "Whether to use TPU (same as --strategy=tpu).", flag_values=fv)
    flags.DEFINE_string(
        "tpu_name", None,
        "The Cloud TPU to use for training: a name or a grpc://ip.address.of.tpu:8470 url.",
        flag_values=fv)
    flags.DEFINE_string("tpu_zone", None, "GCE zone where the Cloud TPU is located.", flag_values=fv)
    flags.DEFINE_string("gcp_project", None, "Project name for the Cloud TPU-enabled project.",
                        flag_values=fv)
    flags.DEFINE_string("master", None, "[Optional] TensorFlow master URL.", flag_values=fv)
    flags.DEFINE_integer("num_tpu_cores", 8, "Only used if `use_tpu` is True: number of TPU cores.",
                         flag_values=fv)
    flags.DEFINE_integer("iterations_per_loop", 1000,
                         "How many steps to make in each call to the device.", flag_values=fv)
    flags.DEFINE_enum(
        "strategy", "one_device", ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
        "tf.distribute strategy.", flag_values=fv)
    flags.DEFINE_enum(
        "mixed_precision", "float32", ["float32", "mixed_bfloat16", "mixed_float16"],
        "Keras dtype policy for training.", flag_values=fv)
    flags.DEFINE_bool(
        "use_xla", False,
        "Compile each replica's training step with XLA (jit_compile=True). TPUs always compile; "
        "on one CPU or GPU it is optional.", flag_values=fv)
    flags.DEFINE_bool(
        "recompute_grad", False,
        "Keep only each transformer layer's input for the backward pass and run the layer again "
        "there: activation memory of one layer instead of all, for a third to a half more time "
        "(long sequences, big batches).", flag_values=fv)


def define_training_flags(fv: flags.FlagValues) -> None:
    """Flags run_classifier and run_pretraining share (same names and defaults in Google's)."""
    flags.DEFINE_string("output_dir", None,
                        "The output directory where the model checkpoints will be written.",
                        flag_values=fv)
    flags.DEFINE_integer("max_seq_length", 128,
                         "The maximum total input sequence length after WordPiece tokenization.",
                         flag_values=fv)
    flags.DEFINE_bool("do_train", False, "Whether to run training.", flag_values=fv)
    flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.", flag_values=fv)
    flags.DEFINE_integer("train_batch_size", 32, "Total batch size for training.", flag_values=fv)
    flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.", flag_values=fv)
    flags.DEFINE_float("learning_rate", 5e-5, "The initial learning rate for Adam.", flag_values=fv)
    flags.DEFINE_integer("save_checkpoints_steps", 1000, "How often to save the model checkpoint.",
                         flag_values=fv)
