r"""Create masked-LM/next-sentence TFRecords from raw text (Google's feature schema).

Input: one sentence per line, a blank line between documents (or --input_format=documents).
--model_family=t5 writes span-corruption records, --model_family=pegasus gap-sentence
records. One process by default (file by file, per-document seeds; --google_exact=true for
Google's whole-corpus algorithm and records); --runner=DirectRunner|DataflowRunner|... runs
an Apache Beam pipeline, and flags this command does not define go to Beam. Examples:
  clue-tf create_pretraining_data --input_file=corpus.txt --output_file=out.tfrecord \
    --vocab_file=vocab.txt --max_seq_length=128 --max_predictions_per_seq=20
  clue-tf create_pretraining_data --input_file='gs://bucket/corpus/*.txt' \
    --output_file=gs://bucket/records/bert --vocab_file=vocab.txt --runner=DataflowRunner \
    --project=my-project --region=us-central1 --temp_location=gs://bucket/tmp
"""

from typing import Sequence

from absl import flags

from clue_tf.cli.common_flags import new_flag_values
from clue_tf.families import FAMILY_NAMES, get_family

FLAGS = new_flag_values()
flags.DEFINE_string("input_file", None, "Input raw text file (or comma-separated list of files).",
                    flag_values=FLAGS)
flags.DEFINE_string("output_file", None, "Output TF example file (or comma-separated list of files).",
                    flag_values=FLAGS)
flags.DEFINE_string("vocab_file", None, "The vocabulary file that the BERT model was trained on.",
                    flag_values=FLAGS)
flags.DEFINE_bool("do_lower_case", True, "Whether to lower case the input text.", flag_values=FLAGS)
flags.DEFINE_bool("do_whole_word_mask", False,
                  "Whether to use whole word masking rather than per-WordPiece masking.",
                  flag_values=FLAGS)
flags.DEFINE_integer("max_seq_length", 128, "Maximum sequence length.", flag_values=FLAGS)
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.", flag_values=FLAGS)
flags.DEFINE_integer("random_seed", 12345, "Random seed for data generation.", flag_values=FLAGS)
flags.DEFINE_integer("dupe_factor", 10,
                     "Number of times to duplicate the input data (with different masks).",
                     flag_values=FLAGS)
flags.DEFINE_float("masked_lm_prob", 0.15, "Masked LM probability.", flag_values=FLAGS)
flags.DEFINE_float("short_seq_prob", 0.1,
                   "Probability of creating sequences which are shorter than the maximum length.",
                   flag_values=FLAGS)


flags.DEFINE_bool("nsp", True,
                  "Make next-sentence pairs (Google). false: MLM-only instances packing whole "
                  "sentences of a document (RoBERTa style).", flag_values=FLAGS)
flags.DEFINE_bool("sentence_order", False,
                  "ALBERT's sentence-order pairs: B follows A, swapped in half the pairs "
                  "(next_sentence_labels 1 = swapped).", flag_values=FLAGS)
flags.DEFINE_integer("ngram", 1, "ALBERT's n-gram masking: spans of up to this many words "
                     "(p ~ 1/n; Google's ALBERT uses 3); 1: BERT's masking.", flag_values=FLAGS)
flags.DEFINE_bool("dynamic_masking", False,
                  "Write unmasked records; run_pretraining --dynamic_masking draws masks each epoch.",
                  flag_values=FLAGS)
flags.DEFINE_enum("model_family", "bert", list(FAMILY_NAMES),
                  "The family the records are for, which decides their kind: bert/albert: masked LM "
                  "(+NSP/SOP); t5: span corruption; pegasus: gap-sentence generation.", flag_values=FLAGS)
flags.DEFINE_integer("max_target_length", 64, "t5/pegasus: record length of the target.",
                     flag_values=FLAGS)
flags.DEFINE_enum("span_selection", "uer", ["uer", "google"],
                  "t5: UER's geometric spans (p=0.3, max 5) or Google's random_spans_noise_mask "
                  "(mean span 3); --masked_lm_prob is the noise density.", flag_values=FLAGS)
flags.DEFINE_float("gap_sentence_ratio", 0.3, "pegasus: share of sentences moved to the target.",
                   flag_values=FLAGS)
flags.DEFINE_enum("gap_sentence_selection", "lead", ["lead", "random"],
                  "pegasus: the leading sentences, or random ones (never the last).", flag_values=FLAGS)
flags.DEFINE_enum("input_format", "sentences", ["sentences", "documents"],
                  "sentences: one sentence per line, a blank line between documents (Google's); "
                  "documents: one document per line, cut into sentences after 。！？!?.", flag_values=FLAGS)
flags.DEFINE_bool("google_exact", False,
                  "Google's algorithm over the whole corpus in memory with one random stream: the "
                  "records Google's script writes. false: file by file with per-document seeds, "
                  "random next from the same file (the Beam pipeline's records), several times faster.",
                  flag_values=FLAGS)
flags.DEFINE_string("runner", None,
                    "Run as an Apache Beam pipeline on this runner (DirectRunner, DataflowRunner, "
                    "FlinkRunner, SparkRunner, ...); --output_file is then a shard prefix. Needs "
                    "pip install 'clue-tf[beam]'.", flag_values=FLAGS)
flags.DEFINE_integer("num_shards", 0, "Beam: output shards (0: the runner decides, no shuffle step).",
                     flag_values=FLAGS)
flags.mark_flags_as_required(["input_file", "output_file", "vocab_file"], flag_values=FLAGS)


UNKNOWN_FLAGS_GO_TO = "Beam"


def settings_from_flags(fv: flags.FlagValues):
    from clue_tf.data.file_examples import PretrainingDataSettings

    return PretrainingDataSettings(
        vocab_file=fv.vocab_file, record_kind=get_family(fv.model_family).record_kind, do_lower_case=fv.do_lower_case,
        input_format=fv.input_format, max_seq_length=fv.max_seq_length,
        max_predictions_per_seq=fv.max_predictions_per_seq, max_target_length=fv.max_target_length,
        random_seed=fv.random_seed, dupe_factor=fv.dupe_factor, masked_lm_prob=fv.masked_lm_prob,
        short_seq_prob=fv.short_seq_prob, next_sentence=fv.nsp, sentence_order=fv.sentence_order,
        ngram=fv.ngram, whole_word_mask=fv.do_whole_word_mask, masked=not fv.dynamic_masking,
        span_selection=fv.span_selection, gap_sentence_ratio=fv.gap_sentence_ratio,
        gap_sentence_selection=fv.gap_sentence_selection)


def _print_counts(counts: dict, where: str) -> None:
    shown = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items() if value)
    print(f"wrote {counts.get('instances', 0)} instances -> {where} ({shown})")


def main(fv: flags.FlagValues, beam_args: Sequence[str] = ()) -> int:
    from clue_tf.cli.common_flags import require_at_least
    from clue_tf.data.create_pretraining_data import (create_pretraining_data, create_records_per_file,
                                                      create_seq2seq_pretraining_data)
    from clue_tf.errors import ClueTfError
    from clue_tf.io.inputs import expand_file_patterns
    from clue_tf.io.outputs import check_file_target

    require_at_least(fv, max_seq_length=4, dupe_factor=1, max_predictions_per_seq=1, max_target_length=2,
                     num_shards=0)
    if beam_args and not fv.runner:
        raise ClueTfError(f"unknown flag {beam_args[0]!r} (flags for Beam need --runner)")
    if fv.runner or not fv.google_exact:
        if fv.google_exact:
            raise ClueTfError("--google_exact runs in one process; leave out --runner")
        settings = settings_from_flags(fv)  # checks the combination before any work
        inputs = expand_file_patterns(fv.input_file)
        if fv.runner:
            from clue_tf.data.beam_pipeline import run_beam_pipeline

            if "," in fv.output_file:
                raise ClueTfError("with --runner, --output_file is one shard prefix, not a list")
            if "://" not in fv.output_file:
                check_file_target(fv.output_file)
            counts = run_beam_pipeline(inputs, fv.output_file, settings, fv.runner, fv.num_shards, beam_args)
            _print_counts(counts, f"{fv.output_file}-*")
            return 0
        outputs = fv.output_file.split(",")
        for path in outputs:
            check_file_target(path)
        _print_counts(create_records_per_file(inputs, outputs, settings), fv.output_file)
        return 0
    if fv.input_format != "sentences":
        raise ClueTfError("--google_exact reads Google's layout: --input_format=sentences")
    for path in fv.output_file.split(","):
        check_file_target(path)  # before the corpus is read, not after
    record_kind = get_family(fv.model_family).record_kind
    if record_kind != "masked_lm":
        count = create_seq2seq_pretraining_data(
            expand_file_patterns(fv.input_file), fv.output_file.split(","), fv.vocab_file, record_kind,
            do_lower_case=fv.do_lower_case, max_seq_length=fv.max_seq_length,
            max_target_length=fv.max_target_length, random_seed=fv.random_seed,
            dupe_factor=fv.dupe_factor, noise_density=fv.masked_lm_prob, span_selection=fv.span_selection,
            gap_sentence_ratio=fv.gap_sentence_ratio, gap_sentence_selection=fv.gap_sentence_selection,
            counts_settings=_google_settings(fv))
        print(f"wrote {count} {fv.model_family} instances -> {fv.output_file}")
        return 0
    count = create_pretraining_data(
        expand_file_patterns(fv.input_file), fv.output_file.split(","), fv.vocab_file,
        do_lower_case=fv.do_lower_case, do_whole_word_mask=fv.do_whole_word_mask,
        max_seq_length=fv.max_seq_length, max_predictions_per_seq=fv.max_predictions_per_seq,
        random_seed=fv.random_seed, dupe_factor=fv.dupe_factor, masked_lm_prob=fv.masked_lm_prob,
        short_seq_prob=fv.short_seq_prob, next_sentence=fv.nsp, masked=not fv.dynamic_masking,
        sentence_order=fv.sentence_order, ngram=fv.ngram, counts_settings=_google_settings(fv))
    print(f"wrote {count} instances -> {fv.output_file}")
    return 0


def _google_settings(fv: flags.FlagValues) -> dict:
    """What the counts JSON of a Google-exact run records as its settings."""
    return dict(settings_from_flags(fv).as_dict(), google_exact=True)
