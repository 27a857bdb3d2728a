"""Flags several commands share, with Google's names, defaults and help texts."""

import os
from dataclasses import dataclass
from typing import Optional

from absl import flags

from clue_tf.cli.app import define_verbosity_flag


def new_flag_values() -> flags.FlagValues:
    """A command's own flag namespace, with --verbosity already defined."""
    flag_values = flags.FlagValues()
    define_verbosity_flag(flag_values)
    return flag_values


def define_bundle_flags(fv: flags.FlagValues, checkpoint: bool = True, config: bool = True) -> None:
    """--bundle_dir and the files it stands for, as in Google's scripts."""
    flags.DEFINE_string(
        "bundle_dir", None,
        "Folder of an original checkpoint bundle: means --bert_config_file=DIR/bert_config.json, "
        "--vocab_file=DIR/vocab.txt and --init_checkpoint=DIR/bert_model.ckpt unless those "
        "are given.", flag_values=fv)
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
            "Initial checkpoint (usually from a pre-trained BERT model).", flag_values=fv)
    flags.DEFINE_bool(
        "do_lower_case", True,
        "Whether to lower case the input text. Should be True for uncased and Chinese "
        "models and False for cased models.", flag_values=fv)


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


@dataclass
class BundlePaths:
    """The three files of an original bundle, after --bundle_dir is applied."""

    bert_config_file: Optional[str]
    vocab_file: Optional[str]
    init_checkpoint: Optional[str]


def resolve_bundle(fv: flags.FlagValues) -> BundlePaths:
    """Explicit --bert_config_file/--vocab_file/--init_checkpoint win over --bundle_dir."""
    bundle_dir = fv["bundle_dir"].value if "bundle_dir" in fv else None

    def pick(flag: str, file_name: str) -> Optional[str]:
        if flag not in fv:
            return None
        if fv[flag].value:
            return fv[flag].value
        return os.path.join(bundle_dir, file_name) if bundle_dir else None

    return BundlePaths(
        bert_config_file=pick("bert_config_file", "bert_config.json"),
        vocab_file=pick("vocab_file", "vocab.txt"),
        init_checkpoint=pick("init_checkpoint", "bert_model.ckpt"),
    )


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
