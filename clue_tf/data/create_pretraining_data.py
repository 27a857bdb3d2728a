"""Raw text -> pretraining TFRecords: the library side of `clue-tf create_pretraining_data`."""

import logging
import random
from typing import Sequence

from clue_tf.data.pretraining import create_training_instances, read_documents
from clue_tf.data.tfrecords import write_instances
from clue_tf.errors import ClueTfError
from clue_tf.tokenization.vocab import load_vocab

logger = logging.getLogger(__name__)


def create_pretraining_data(
    input_files: Sequence[str], output_files: Sequence[str], vocab_file: str, do_lower_case: bool = True,
    do_whole_word_mask: bool = False, max_seq_length: int = 128, max_predictions_per_seq: int = 20,
    random_seed: int = 12345, dupe_factor: int = 10, masked_lm_prob: float = 0.15,
    short_seq_prob: float = 0.1, next_sentence: bool = True, masked: bool = True,
    sentence_order: bool = False, ngram: int = 1,
) -> int:
    """Reads, builds instances with Google's algorithm and writes them; returns the count."""
    vocab = load_vocab(vocab_file)
    documents = read_documents(input_files, vocab, do_lower_case, whole_word_mask=do_whole_word_mask)
    if not documents:
        raise ClueTfError(f"{', '.join(input_files)}: no text (every line is empty)")
    rng = random.Random(random_seed)
    instances = create_training_instances(
        documents, vocab, rng, max_seq_length, dupe_factor, short_seq_prob, masked_lm_prob,
        max_predictions_per_seq, whole_word_mask=do_whole_word_mask, next_sentence=next_sentence,
        masked=masked, sentence_order=sentence_order, ngram=ngram)
    return write_instances(instances, vocab, output_files, max_seq_length, max_predictions_per_seq)


def create_seq2seq_pretraining_data(
    input_files: Sequence[str], output_files: Sequence[str], vocab_file: str, model_family: str,
    do_lower_case: bool = True, max_seq_length: int = 512, max_target_length: int = 256,
    random_seed: int = 12345, dupe_factor: int = 1, noise_density: float = 0.15,
    span_selection: str = "uer", gap_sentence_ratio: float = 0.3, gap_sentence_selection: str = "lead",
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
    if model_family == "t5":
        instances = s2s.span_corruption_instances(documents, vocab, max_seq_length, rng, dupe_factor,
                                                  span_selection, noise_density)
    elif model_family == "pegasus":
        instances = s2s.gap_sentence_instances(documents, max_seq_length, max_target_length, rng,
                                               gap_sentence_ratio, gap_sentence_selection, dupe_factor)
    else:
        raise ClueTfError(f"--model_family must be bert, t5 or pegasus, got {model_family!r}")
    return write_examples((s2s.instance_to_example(i, vocab, max_seq_length, max_target_length)
                           for i in instances), output_files)
