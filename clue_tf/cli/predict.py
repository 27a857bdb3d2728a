r"""Predict a CLUE test file with an exported SavedModel: run_classifier's leaderboard files.

Example:
  clue-tf predict --saved_model=serving/tnews/1 --task_name=tnews \
    --input_file=CLUE/tnews_public/test.json --output_dir=out
"""

from absl import flags

from clue_tf.cli.common_flags import new_flag_values

FLAGS = new_flag_values()
flags.DEFINE_string("saved_model", None, "A SavedModel written by export_saved_model.", flag_values=FLAGS)
flags.DEFINE_string("task_name", None, "The task; must be the one the SavedModel serves.", flag_values=FLAGS)
flags.DEFINE_string("input_file", None, "A CLUE test file (JSON lines with id); labels.json beside it "
                    "gives TNEWS's label descriptions.", flag_values=FLAGS)
flags.DEFINE_string("output_dir", None, "Where test_results.tsv and the submission file go.", flag_values=FLAGS)
flags.DEFINE_integer("batch_size", 64, "Examples per call of the signature.", flag_values=FLAGS)
flags.DEFINE_bool("submission_zip", False, "Also collect the *_predict.json files into submission.zip.",
                  flag_values=FLAGS)
flags.mark_flags_as_required(["saved_model", "input_file", "output_dir"], flag_values=FLAGS)


def main(fv: flags.FlagValues) -> int:
    from clue_tf.tasks.served import predict_file

    for path in predict_file(fv.saved_model, fv.input_file, fv.output_dir, fv.task_name, fv.batch_size,
                             fv.submission_zip):
        print(f"wrote {path}")
    return 0
