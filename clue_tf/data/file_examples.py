"""One input file -> its serialized pretraining Examples and counts: the shared unit of
the fast single-process path and the Beam pipeline.

Memory is bounded by one file. Every document's instances come from its own seed
(`document_seeds`), a random next sentence from another document of the same file, and
the file's Examples are shuffled with a seed of their own; so the output depends on the
inputs and `random_seed` only, never on how files are spread over workers.
"""

import collections
import logging
from dataclasses import asdict, dataclass
from typing import Optional
import numpy as np

from clue_tf.data import fast_instances as fast
from clue_tf.data.corpus_documents import read_file_documents
from clue_tf.data.document_seeds import FILE_ORDER_ROUND, document_python_rng, document_rng
from clue_tf.data.example_encoding import encode_examples
from clue_tf.errors import ClueTfError

logger = logging.getLogger(__name__)

RECORD_KINDS = ("masked_lm", "span_corruption", "gap_sentences")  # a family's record_kind
FLAG_SHIFT = 40  # whole-word/n-gram masking: "continues the word" rides in this bit of an id
COUNT_NAMES = ("files", "documents", "instances", "tokens", "masked_positions", "random_next", "target_tokens")


@dataclass(frozen=True)
class PretrainingDataSettings:
    """Everything that decides the records (picklable, so Beam workers get a copy)."""

    vocab_file: str
    record_kind: str = "masked_lm"
    do_lower_case: bool = True
    input_format: str = "sentences"
    max_seq_length: int = 128
    max_predictions_per_seq: int = 20
    max_target_length: int = 64
    random_seed: int = 12345
    dupe_factor: int = 10
    masked_lm_prob: float = 0.15
    short_seq_prob: float = 0.1
    next_sentence: bool = True
    sentence_order: bool = False
    ngram: int = 1
    whole_word_mask: bool = False
    masked: bool = True
    span_selection: str = "uer"
    gap_sentence_ratio: float = 0.3
    gap_sentence_selection: str = "lead"

    def __post_init__(self):
        self.check()  # frozen and handed to Beam workers: checked once, where it is made

    def check(self) -> None:
        """One error naming the setting for a combination no record can be made with."""
        if self.record_kind not in RECORD_KINDS:
            raise ClueTfError(f"record kind must be one of {', '.join(RECORD_KINDS)}, got {self.record_kind!r}")
        if self.max_seq_length < 5:
            raise ClueTfError(f"max_seq_length {self.max_seq_length} is too small: [CLS] a [SEP] b [SEP] "
                              "needs at least 5")
        if self.sentence_order and not self.next_sentence:
            raise ClueTfError("sentence-order pairs need pairs: drop --nsp=false")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class FileExamples:
    examples: list[bytes]
    counts: collections.Counter


class FileExampleMaker:
    """Holds the vocab and the compiled in-graph tokenizer for one process."""

    def __init__(self, settings: PretrainingDataSettings, batch_size: int = 4096):
        import tensorflow as tf

        from clue_tf.tokenization.bert_tokenizer import BertTokenizer
        from clue_tf.tokenization.vocab import load_vocab

        self.settings = settings
        self.vocab = load_vocab(settings.vocab_file)
        tokenizer = BertTokenizer(self.vocab, do_lower_case=settings.do_lower_case)
        self._tokenize = tf.function(lambda lines: tokenizer(lines), reduce_retracing=True)
        self._batch_size = batch_size
        ids = self.vocab.ids
        self.special = fast.SpecialIds(cls=ids["[CLS]"], sep=ids["[SEP]"], mask=ids["[MASK]"],
                                       vocab_ids=np.array(sorted(set(ids.values())), np.int64))
        self._segmenter = None
        if settings.whole_word_mask:
            from clue_tf.data.pretraining import jieba_segmenter

            self._segmenter = jieba_segmenter()
        self._word_flags = settings.record_kind == "masked_lm" and settings.masked and (
            settings.whole_word_mask or settings.ngram > 1)

    # -- reading -------------------------------------------------------------------------
    def read(self, path: str) -> list[fast.Document]:
        """Tokenized documents of the file (empty sentences and documents dropped, as
        Google's). For word masking each id carries its "continues the word" flag."""
        import tensorflow as tf

        documents = list(read_file_documents(path, self.settings.input_format))
        lines = [sentence for document in documents for sentence in document]
        flat, splits = [], [0]
        for start in range(0, len(lines), self._batch_size):
            ragged = self._tokenize(tf.constant(lines[start: start + self._batch_size]))
            flat.append(ragged.flat_values.numpy().astype(np.int64))
            splits.extend((ragged.row_splits.numpy()[1:] + splits[-1]).tolist())
        flat_ids = np.concatenate(flat) if flat else np.zeros(0, np.int64)
        tokenized, line = [], 0
        for document in documents:
            sentences = []
            for text in document:
                ids = flat_ids[splits[line]: splits[line + 1]]
                line += 1
                if len(ids):
                    sentences.append(self._with_word_flags(text, ids) if self._word_flags else ids)
            if sentences:
                tokenized.append(sentences)
        return tokenized

    def _with_word_flags(self, text: str, ids: np.ndarray) -> np.ndarray:
        from clue_tf.data.pretraining import word_continuations

        tokens = [self.vocab.lines[i] for i in ids]
        flags = word_continuations(text, tokens, self._segmenter)
        return ids | (np.asarray(flags, np.int64) << FLAG_SHIFT)

    # -- one file ------------------------------------------------------------------------
    def make(self, path: str, key: Optional[str] = None) -> FileExamples:
        """`key` names the file in the seeds (`document_seeds.file_keys`); default: the path."""
        documents = self.read(path)
        key = path if key is None else key
        counts = collections.Counter(files=1, documents=len(documents))
        if not documents:
            return FileExamples([], counts)
        if self.settings.record_kind == "masked_lm":
            features = self._bert_features(path, key, documents)
        else:
            features = self._seq2seq_features(path, key, documents)
        count = len(next(iter(features.values())))
        if count == 0:
            return FileExamples([], counts)
        order = document_rng(self.settings.random_seed, key, FILE_ORDER_ROUND, FILE_ORDER_ROUND).permutation(count)
        features = {name: value[order] for name, value in features.items()}
        counts["instances"] = count
        counts["tokens"] = int(features["input_mask"].sum())
        if "masked_lm_weights" in features:
            counts["masked_positions"] = int(features["masked_lm_weights"].sum())
            counts["random_next"] = int(features["next_sentence_labels"].sum())
        if "target_mask" in features:
            counts["target_tokens"] = int(features["target_mask"].sum())
        return FileExamples(encode_examples(features), counts)

    def _bert_features(self, path: str, key: str, documents: list[fast.Document]) -> dict:
        settings = self.settings
        if settings.next_sentence and sum(len(d) for d in documents) < 2:
            raise ClueTfError(f"{path}: next-sentence pairs need at least two sentences in a file; "
                              "add text or use --nsp=false")
        pairs, labels, draws, owners = [], [], [], []
        for dupe_round in range(settings.dupe_factor):
            for index in range(len(documents)):
                rng = document_rng(settings.random_seed, key, index, dupe_round)
                if settings.next_sentence:
                    made = list(fast.pair_instances(documents, index, rng, settings.max_seq_length,
                                                    settings.short_seq_prob,
                                                    settings.sentence_order))
                else:
                    made = [(a, None, False) for a in fast.packed_instances(documents[index], settings.max_seq_length)]
                if not made:
                    continue
                pairs.extend((a, b) for a, b, _ in made)
                labels.extend(label for _, _, label in made)
                owners.append((index, dupe_round, len(made)))
                if settings.masked and not self._word_flags:
                    draws.append(fast.mask_draws(rng, len(made), settings.max_seq_length,
                                                 settings.max_predictions_per_seq))
        if not pairs:
            return {"input_ids": np.zeros((0, settings.max_seq_length), np.int64)}
        ids, segments, lengths = fast.assemble(pairs, self.special, settings.max_seq_length)
        width = settings.max_predictions_per_seq
        if not settings.masked:
            positions = np.zeros((len(ids), width), np.int64)
            label_ids, weights = positions.copy(), positions.astype(np.float32)
        elif self._word_flags:
            flags, ids = (ids >> FLAG_SHIFT).astype(bool), ids & ((1 << FLAG_SHIFT) - 1)
            positions, label_ids, weights = self._mask_words(ids, flags, lengths, key, owners)
        else:
            positions, label_ids, weights = fast.mask_rows(ids, lengths, np.concatenate(draws), self.special,
                                                           settings.masked_lm_prob, width)
        return {
            "input_ids": ids,
            "input_mask": (np.arange(settings.max_seq_length)[None, :] < lengths[:, None]).astype(np.int64),
            "segment_ids": segments,
            "masked_lm_positions": positions,
            "masked_lm_ids": label_ids,
            "masked_lm_weights": weights,
            "next_sentence_labels": np.asarray(labels, np.int64)[:, None],
        }

    def _mask_words(self, ids, flags, lengths, key, owners):
        """Whole-word or n-gram masking: the Python path's algorithm, each document's rows
        with that document's stream (`owners`: document index, dupe round, row count)."""
        from clue_tf.data.pretraining import create_masked_lm_predictions

        settings, lines, vocab_ids = self.settings, self.vocab.lines, self.vocab.ids
        words = list(self.vocab.ids)
        positions = np.zeros((len(ids), settings.max_predictions_per_seq), np.int64)
        labels = np.zeros_like(positions)
        weights = np.zeros(positions.shape, np.float32)
        row_streams = [(index, dupe_round) for index, dupe_round, rows in owners for _ in range(rows)]
        rng = None
        for row in range(len(ids)):
            if row == 0 or row_streams[row] != row_streams[row - 1]:
                rng = document_python_rng(settings.random_seed, key, *row_streams[row])
            tokens = [lines[i] for i in ids[row, : lengths[row]]]
            output, chosen, chosen_labels = create_masked_lm_predictions(
                tokens, flags[row, : lengths[row]].tolist(), settings.masked_lm_prob,
                settings.max_predictions_per_seq, words, rng, settings.whole_word_mask, settings.ngram)
            ids[row, : lengths[row]] = [vocab_ids[t] for t in output]
            positions[row, : len(chosen)] = chosen
            labels[row, : len(chosen)] = [vocab_ids[t] for t in chosen_labels]
            weights[row, : len(chosen)] = 1.0
        return positions, labels, weights

    def _seq2seq_features(self, path: str, key: str, documents: list[fast.Document]) -> dict:
        """T5 span corruption or Pegasus gap sentences, per document with its own seed."""
        from clue_tf.data import seq2seq_pretraining as s2s

        settings, lines, vocab_ids = self.settings, self.vocab.lines, self.vocab.ids
        instances = []
        redrawn = settings.record_kind == "span_corruption" or settings.gap_sentence_selection == "random"
        rounds = settings.dupe_factor if redrawn else 1
        for dupe_round in range(rounds):
            for index, document in enumerate(documents):
                sentences = [[lines[i] for i in sentence] for sentence in document]
                rng = document_python_rng(settings.random_seed, key, index, dupe_round)
                if settings.record_kind == "span_corruption":
                    made = s2s.span_corruption_instances([sentences], self.vocab, settings.max_seq_length, rng, 1,
                                                         settings.span_selection, settings.masked_lm_prob)
                else:
                    made = s2s.gap_sentence_instances([sentences], settings.max_seq_length,
                                                      settings.max_target_length, rng,
                                                      settings.gap_sentence_ratio, settings.gap_sentence_selection, 1)
                instances.extend(made)
        features = {}
        for name, width, flag, side in (("input", settings.max_seq_length, "max_seq_length", "source"),
                                        ("target", settings.max_target_length, "max_target_length", "target")):
            ids = np.zeros((len(instances), width), np.int64)
            mask = np.zeros_like(ids)
            for row, instance in enumerate(instances):
                tokens = getattr(instance, side)
                if len(tokens) > width:
                    raise ClueTfError(f"{path}: an instance of {len(tokens)} tokens exceeds the record length "
                                      f"{width}; raise --{flag}")
                ids[row, : len(tokens)] = [vocab_ids[t] for t in tokens]
                mask[row, : len(tokens)] = 1
            features[f"{name}_ids"], features[f"{name}_mask"] = ids, mask
        return features
