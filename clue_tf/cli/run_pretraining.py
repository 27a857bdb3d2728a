r"""Pretrain from TFRecords under a tf.distribute strategy: BERT (masked LM, optional NSP),
or with --model_family=t5|pegasus an encoder-decoder on span-corruption / gap-sentence records.

Examples:
  clue-tf run_pretraining --input_file=sample.tfrecord --output_dir=out \
    --bert_config_file=bert_config.json --do_train=true --num_train_steps=1000
  clue-tf run_pretraining --model_family=t5 --input_file=t5.tfrecord --output_dir=out \
    --bert_config_file=t5_config.json --vocab_file=vocab.txt --max_seq_length=128 --max_target_length=64
"""

from absl import flags

from clue_tf.cli.common_flags import (
    define_bundle_flags,
    define_tpu_flags,
    define_training_flags,
    new_flag_values,
)

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
define_tpu_flags(FLAGS)
define_training_flags(FLAGS)
flags.DEFINE_string("input_file", None, "Input TF example files (can be a glob or comma separated).",
                    flag_values=FLAGS)
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.", flag_values=FLAGS)
flags.DEFINE_integer("num_train_steps", 100000, "Number of training steps.", flag_values=FLAGS)
flags.DEFINE_integer("num_warmup_steps", 10000, "Number of warmup steps.", flag_values=FLAGS)
flags.DEFINE_integer("max_eval_steps", 100, "Maximum number of eval steps.", flag_values=FLAGS)
flags.DEFINE_enum("optimizer", "adamw", ["adamw", "lamb", "adamw_keras", "lamb_keras"],
                  "adamw: Google BERT's AdamWeightDecay; lamb: ALBERT's LAMB (both without bias "
                  "correction, as Google's scripts); *_keras: Keras's bias-corrected AdamW / Lamb.",
                  flag_values=FLAGS)
flags.DEFINE_bool("dynamic_masking", False, "Draw new masks each epoch from unmasked records.",
                  flag_values=FLAGS)
flags.DEFINE_bool("nsp", True, "Train the next-sentence-prediction head too.", flag_values=FLAGS)
flags.DEFINE_bool("sentence_order", False,
                  "The pair head learns ALBERT's sentence order (records from create_pretraining_data "
                  "--sentence_order); metrics are reported as sentence_order_*.", flag_values=FLAGS)
flags.DEFINE_integer("keep_checkpoints", 3, "How many recent checkpoints to keep.", flag_values=FLAGS)
flags.DEFINE_integer("random_seed", 12345, "Seed for initialisation, shuffling and dynamic masks.",
                     flag_values=FLAGS)
flags.DEFINE_bool("deterministic", False, "Turn on TensorFlow's deterministic ops (exact resume).",
                  flag_values=FLAGS)
flags.DEFINE_string("model_family", None,
                    "The family to pretrain (bert: masked LM (+NSP); t5 / pegasus: seq2seq records from "
                    "create_pretraining_data --model_family). Default: the config's family; given, it "
                    "must match the config.", flag_values=FLAGS)
flags.DEFINE_integer("max_target_length", 64, "t5/pegasus: target length of the records.",
                     flag_values=FLAGS)
flags.mark_flags_as_required(["input_file", "output_dir"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.cli.common_flags import locate_model, settings_from_flags
    from clue_tf.errors import ClueTfError
    from clue_tf.families import get_family
    from clue_tf.training.pretraining import PretrainingSettings, require_action, run_pretraining

    require_action(fv.do_train, fv.do_eval)
    if fv.model_family:
        get_family(fv.model_family)
    if not (fv.bundle_dir or fv.bert_config_file):
        raise ClueTfError("give --bert_config_file or --bundle_dir")
    # --bundle_dir alone means: start from that model
    files = locate_model(fv, need_weights=False, family=fv.model_family)
    results = run_pretraining(settings_from_flags(
        PretrainingSettings, fv, renames={"seed": "random_seed"}, bert_config_file=files.config_file,
        vocab_file=files.vocab_file, init_checkpoint=files.weights))
    if "data" in results:
        print(f"data: {results['data']['instances']} instances; {fv.num_train_steps} steps x "
              f"{fv.train_batch_size} = {results['data']['epochs']:.2f} epochs")
    for name in ("train", "eval"):
        if name in results:
            print(f"{name}: " + ", ".join(f"{k} = {v:.4f}" for k, v in results[name].items()))
    if results.get("bundle"):
        print(f"bundle written -> {results['bundle']}")
    return 0
