"""Raw text -> pretraining TFRecords: the library side of `clue-tf create_pretraining_data`.

`create_pretraining_data` / `create_seq2seq_pretraining_data`: Google's algorithm over the
whole corpus in memory, one random stream (Google-identical records). `create_records_per_file`:
the fast path, one file at a time with per-document seeds, the same records the Beam
pipeline writes, with memory bounded by the largest file.
"""

import collections
import logging
import random
from typing import Optional, Sequence

from tqdm import tqdm

from clue_tf.data.file_examples import FileExampleMaker, PretrainingDataSettings
from clue_tf.data.pretraining import create_training_instances, read_documents
from clue_tf.data.record_counts import counts_path, counts_record, counts_text
from clue_tf.data.tfrecords import write_instances
from clue_tf.errors import ClueTfError
from clue_tf.tokenization.vocab import load_vocab

logger = logging.getLogger(__name__)


def create_pretraining_data(
    input_files: Sequence[str], output_files: Sequence[str], vocab_file: str, do_lower_case: bool = True,
    do_whole_word_mask: bool = False, max_seq_length: int = 128, max_predictions_per_seq: int = 20,
    random_seed: int = 12345, dupe_factor: int = 10, masked_lm_prob: float = 0.15,
    short_seq_prob: float = 0.1, next_sentence: bool = True, masked: bool = True,
    sentence_order: bool = False, ngram: int = 1, counts_settings: Optional[dict] = None,
) -> int:
    """Reads, builds instances with Google's algorithm and writes them; returns the count.
    With `counts_settings`, the counts JSON joins the records' replace set."""
    vocab = load_vocab(vocab_file)
    documents = read_documents(input_files, vocab, do_lower_case, whole_word_mask=do_whole_word_mask)
    if not documents:
        raise ClueTfError(f"{', '.join(input_files)}: no text (every line is empty)")
    rng = random.Random(random_seed)
    instances = create_training_instances(
        documents, vocab, rng, max_seq_length, dupe_factor, short_seq_prob, masked_lm_prob,
        max_predictions_per_seq, whole_word_mask=do_whole_word_mask, next_sentence=next_sentence,
        masked=masked, sentence_order=sentence_order, ngram=ngram)
    return write_instances(instances, vocab, output_files, max_seq_length, max_predictions_per_seq,
                           companion=_google_counts(output_files, counts_settings))


def _google_counts(output_files: Sequence[str], settings: Optional[dict]):
    """The counts JSON of a Google-exact run (instances only), as a replace-set companion."""
    if settings is None:
        return None
    record = lambda count: counts_text(counts_record({"instances": count}, output_files, settings))  # noqa: E731
    return counts_path(output_files[0]), record


def create_seq2seq_pretraining_data(
    input_files: Sequence[str], output_files: Sequence[str], vocab_file: str, record_kind: str,
    do_lower_case: bool = True, max_seq_length: int = 512, max_target_length: int = 256,
    random_seed: int = 12345, dupe_factor: int = 1, noise_density: float = 0.15,
    span_selection: str = "uer", gap_sentence_ratio: float = 0.3, gap_sentence_selection: str = "lead",
    counts_settings: Optional[dict] = None,
) -> int:
    """T5 span-corruption or Pegasus gap-sentence records from raw text; returns the count."""
    from clue_tf.data import seq2seq_pretraining as s2s
    from clue_tf.data.tfrecords import write_examples

    vocab = load_vocab(vocab_file)
    documents = [[sentence.tokens for sentence in document]
                 for document in read_documents(input_files, vocab, do_lower_case)]
    if not documents:
        raise ClueTfError(f"{', '.join(input_files)}: no text (every line is empty)")
    rng = random.Random(random_seed)
    if record_kind == "span_corruption":
        instances = s2s.span_corruption_instances(documents, vocab, max_seq_length, rng, dupe_factor,
                                                  span_selection, noise_density)
    elif record_kind == "gap_sentences":
        instances = s2s.gap_sentence_instances(documents, max_seq_length, max_target_length, rng,
                                               gap_sentence_ratio, gap_sentence_selection, dupe_factor)
    else:
        raise ClueTfError(f"no seq2seq records of kind {record_kind!r} (span_corruption or gap_sentences)")
    return write_examples((s2s.instance_to_example(i, vocab, max_seq_length, max_target_length)
                           for i in instances), output_files, companion=_google_counts(output_files, counts_settings))


def _file_size(path: str) -> int:
    import tensorflow as tf

    try:
        return tf.io.gfile.stat(path).length
    except tf.errors.OpError:
        return 0


def create_records_per_file(
    input_files: Sequence[str], output_files: Sequence[str], settings: PretrainingDataSettings,
    counts_file: Optional[str] = None,
) -> collections.Counter:
    """The fast single-process path: each input file's Examples (per-document seeds, random
    next from the same file), written round-robin over `output_files` as one atomic set, and
    the counts JSON. Returns the counts."""
    from clue_tf.data.tfrecords import write_examples

    from clue_tf.data.document_seeds import file_keys

    maker = FileExampleMaker(settings)
    keys = file_keys(input_files)
    totals: collections.Counter = collections.Counter()
    sizes = {path: _file_size(path) for path in input_files}

    def examples():
        with tqdm(total=sum(sizes.values()), unit="B", unit_scale=True, desc="pretraining data",
                  disable=None, leave=False) as progress:
            for path in input_files:
                made = maker.make(path, keys[path])
                totals.update(made.counts)
                progress.update(sizes[path])
                progress.set_postfix(instances=totals["instances"], refresh=False)
                yield from made.examples
        if not totals["documents"]:
            raise ClueTfError(f"{', '.join(input_files)}: no text (every line is empty)")
        if not totals["instances"]:
            raise ClueTfError(f"{', '.join(input_files)}: no instances (documents too short for the objective)")

    if not input_files:
        raise ClueTfError("no input files")
    counts_text_of = lambda count: counts_text(counts_record(totals, output_files, settings.as_dict()))  # noqa: E731
    write_examples(examples(), output_files, serialized=True,
                   companion=(counts_file or counts_path(output_files[0]), counts_text_of))
    return totals
