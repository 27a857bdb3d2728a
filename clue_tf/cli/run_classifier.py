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
    from clue_tf.tasks.classifier import ClassifierSettings, run_classifier

    results = run_classifier(ClassifierSettings(
        task_name=fv.task_name, data_dir=fv.data_dir, output_dir=fv.output_dir, bundle_dir=fv.bundle_dir,
        bert_config_file=fv.bert_config_file, vocab_file=fv.vocab_file, init_checkpoint=fv.init_checkpoint,
        do_lower_case=fv.do_lower_case, max_seq_length=fv.max_seq_length, do_train=fv.do_train,
        do_eval=fv.do_eval, do_predict=fv.do_predict, train_batch_size=fv.train_batch_size,
        eval_batch_size=fv.eval_batch_size, predict_batch_size=fv.predict_batch_size,
        learning_rate=fv.learning_rate, num_train_epochs=fv.num_train_epochs,
        warmup_proportion=fv.warmup_proportion, strategy="tpu" if fv.use_tpu else fv.strategy,
        mixed_precision=fv.mixed_precision, use_xla=fv.use_xla, bucket_by_length=fv.bucket_by_length,
        tokenize_in_graph=fv.tokenize_in_graph,
        train_file=fv.train_file, dev_file=fv.dev_file, max_train_examples=fv.max_train_examples,
        submission_zip=fv.submission_zip, seed=fv.random_seed,
        allow_unused_weights=fv.allow_unused_weights, optimizer=fv.optimizer,
        export_saved_model=fv.export_saved_model))
    if "eval" in results:
        print("eval: " + ", ".join(f"{k} = {v}" for k, v in results["eval"].items()))
    for path in results.get("predict", []):
        print(f"wrote {path}")
    if "export" in results:
        print(f"wrote {results['export']} (SavedModel)")
    return 0
