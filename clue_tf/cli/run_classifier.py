r"""Fine-tune, evaluate and predict a CLUE classification task (Google's run_classifier flags).

Example:
  clue-tf run_classifier --task_name=tnews --data_dir=CLUE/tnews_public \
    --bundle_dir=chinese_roberta_L-4_H-312 --do_train=true --do_eval=true --output_dir=out
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
flags.DEFINE_string("data_dir", None, "The input data dir: train.json, dev.json, test.json.",
                    flag_values=FLAGS)
flags.DEFINE_string("task_name", None, "The name of the task to train (afqmc, tnews, iflytek, cmnli).",
                    flag_values=FLAGS)
flags.DEFINE_bool("do_predict", False, "Whether to run the model in inference mode on the test set.",
                  flag_values=FLAGS)
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.", flag_values=FLAGS)
flags.DEFINE_bool("bucket_by_length", True,
                  "Pad each batch only to its longest example, and group training batches by "
                  "length (false: pad everything to max_seq_length, as Google's script).",
                  flag_values=FLAGS)
flags.DEFINE_bool("tokenize_in_graph", True,
                  "Tokenize inside tf.data with the in-graph tokenizer (false: Google's Python "
                  "tokenizer; the ids are the same).", flag_values=FLAGS)
flags.DEFINE_bool("submission_zip", False, "Also collect the *_predict.json files into submission.zip.",
                  flag_values=FLAGS)
flags.DEFINE_string("train_file", "train.json", "Training file name inside --data_dir.", flag_values=FLAGS)
flags.DEFINE_string("dev_file", "dev.json", "Dev file name inside --data_dir.", flag_values=FLAGS)
flags.DEFINE_integer("max_train_examples", None, "Use only the first N training examples.",
                     flag_values=FLAGS)
flags.DEFINE_enum("optimizer", "adamw", ["adamw", "adamw_keras"],
                  "adamw: Google's AdamWeightDecay (no bias correction), what CLUE's settings were tuned "
                  "with; adamw_keras: Keras's bias-corrected AdamW.", flag_values=FLAGS)
flags.DEFINE_string("export_saved_model", None,
                    "At the end, export the model (best_bundle after training) as a SavedModel that "
                    "serves raw text (see export_saved_model).", flag_values=FLAGS)
flags.DEFINE_integer("random_seed", 12345, "Seed for initialisation and shuffling.", flag_values=FLAGS)
flags.mark_flags_as_required(["task_name", "data_dir", "output_dir"], flag_values=FLAGS)
flags.DEFINE_float("num_train_epochs", 3.0, "Total number of training epochs to perform.",
                   flag_values=FLAGS)
flags.DEFINE_float("warmup_proportion", 0.1,
                   "Proportion of training to perform linear learning rate warmup for.",
                   flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.cli.common_flags import settings_from_flags
    from clue_tf.tasks.classifier import ClassifierSettings, run_classifier

    results = run_classifier(settings_from_flags(ClassifierSettings, fv, renames={"seed": "random_seed"},
                                                 strategy="tpu" if fv.use_tpu else fv.strategy))
    if "eval" in results:
        print("eval: " + ", ".join(f"{k} = {v}" for k, v in results["eval"].items()))
    for path in results.get("predict", []):
        print(f"wrote {path}")
    if "export" in results:
        print(f"wrote {results['export']} (SavedModel)")
    return 0
