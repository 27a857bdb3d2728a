r"""Export a model folder as a SavedModel that serves raw text with Google's exact tokenizer.

From run_classifier's best_bundle (with --task_name for its labels), serving_default takes
text_a (and text_b for pair tasks) and returns label, label_id and probabilities; any
encoder folder gets the features, tokenize and (with an MLM head) fill_mask signatures.
Loading it needs only tensorflow and tensorflow-text's ops.

Example:
  clue-tf export_saved_model --bundle_dir=OUT/best_bundle --task_name=tnews \
    --export_dir=serving/tnews/1 --data_dir=CLUE/tnews_public
"""

from absl import flags

from clue_tf.cli.common_flags import define_bundle_flags, new_flag_values

FLAGS = new_flag_values()
define_bundle_flags(FLAGS)
flags.DEFINE_string("export_dir", None, "Where the SavedModel goes (for TF Serving: MODEL/VERSION).",
                    flag_values=FLAGS)
flags.DEFINE_string("task_name", None, "The CLUE task of the classifier head (afqmc, tnews, iflytek, "
                    "cmnli): its labels are served.", flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "Truncation length, as the model was fine-tuned with.",
                     flag_values=FLAGS)
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16", "int8"],
                  "Weights and compute of the served graph; bfloat16 is fast where the CPU has "
                  "AMX / AVX-512 BF16 and on GPUs; int8 (the encoder's dense layers: int8 weights, "
                  "activations quantized per token) is for x86 CPUs.", flag_values=FLAGS)
flags.DEFINE_integer("top_k", 5, "Candidates per [MASK] in the fill_mask signature.", flag_values=FLAGS)
flags.DEFINE_string("data_dir", None, "Optional: a task folder whose dev.json the exported model is "
                    "scored on (with --precision=bfloat16 or int8, beside float32).", flag_values=FLAGS)
flags.mark_flags_as_required(["export_dir"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    import os

    from clue_tf.serving.export import ExportSettings, export_saved_model
    from clue_tf.tasks.served import for_task, report_dev_accuracy

    settings = for_task(ExportSettings(
        export_dir=fv.export_dir, bundle_dir=fv.bundle_dir, bert_config_file=fv.bert_config_file,
        vocab_file=fv.vocab_file, init_checkpoint=fv.init_checkpoint,
        do_lower_case=fv.do_lower_case, max_seq_length=fv.max_seq_length, precision=fv.precision,
        top_k=fv.top_k, allow_unused_weights=fv.allow_unused_weights), fv.task_name)
    if fv.data_dir and not fv.task_name:
        from clue_tf.errors import ClueTfError

        raise ClueTfError("--data_dir needs --task_name (the dev set is scored with the classifier)")
    dev_file = os.path.join(fv.data_dir, "dev.json") if fv.data_dir else None
    if dev_file and not os.path.exists(dev_file):
        from clue_tf.errors import ClueTfError

        raise ClueTfError(f"{dev_file}: file not found")
    info = export_saved_model(settings)
    print(f"wrote {fv.export_dir}: signatures {', '.join(info['signatures'])}")
    if dev_file:
        print(report_dev_accuracy(settings, dev_file))
    return 0
