"""run_classifier's inputs as tf.data: Google's features (tokenized in Python or in the
graph), batched by length into a few padded shapes (or padded to max_seq_length)."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from clue_tf.tasks.clue import ClueTask, Example
from clue_tf.tokenization.encoding import encode_example
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.tokenization.graph_encoding import encode_in_graph

# Every 4 tokens up to 64 (where CLUE's short texts are), then about an eighth apart: a batch is
# padded 6 % past its rows' mean length on TNEWS' train set (15 % with steps of 8-16 up to 64;
# HF's group_by_length, which pads to each batch's longest row, 2.5 %).
BUCKET_BOUNDARIES = [*range(16, 64, 4), 64, 72, 80, 88, 96, 112, 128, 144, 160, 192, 224, 256, 320, 384, 448]


@dataclass
class Features:
    """Unpadded Google features of a list of examples (ragged rows)."""

    input_ids: list
    segment_ids: list
    labels: np.ndarray


def featurize(examples: list[Example], tokenizer: FullTokenizer, task: ClueTask, max_seq_length: int) -> Features:
    label_ids = {label: i for i, label in enumerate(task.labels)}
    ids, segments, labels = [], [], []
    for example in examples:
        encoded = encode_example(tokenizer, example.text_a, example.text_b, max_seq_length)
        length = sum(encoded.input_mask)
        ids.append(encoded.input_ids[:length])
        segments.append(encoded.segment_ids[:length])
        labels.append(label_ids[example.label] if example.label is not None else -1)
    return Features(ids, segments, np.array(labels, np.int32))


@dataclass
class EncodedRows:
    """Examples tokenized inside tf.data: batches of (ragged ids, ragged segment ids, labels)."""

    batches: tf.data.Dataset
    labels: np.ndarray

    @property
    def rows(self) -> tf.data.Dataset:
        """One (ids, segment ids, label) element a row."""
        # unbatch hides the row count; stating it keeps Keras from warning "input ran out of data"
        return self.batches.unbatch().apply(tf.data.experimental.assert_cardinality(len(self.labels)))


def encoded_rows(examples: list[Example], tokenizer, task: ClueTask, max_seq_length: int,
                 batch_size: int = 1024) -> EncodedRows:
    """Rows tokenized by the in-graph tokenizer inside tf.data (no Python per example)."""
    label_ids = {label: i for i, label in enumerate(task.labels)}
    labels = np.array([label_ids[e.label] if e.label is not None else -1 for e in examples], np.int32)
    texts_a = [e.text_a for e in examples]
    pair = any(e.text_b is not None for e in examples)
    texts_b = [e.text_b or "" for e in examples]
    dataset = tf.data.Dataset.from_tensor_slices((texts_a, texts_b, labels)).batch(batch_size)
    dataset = dataset.map(lambda a, b, y: (*encode_in_graph(tokenizer, a, b if pair else None, max_seq_length), y),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return EncodedRows(dataset, labels)


def features_dataset(features: Features) -> tf.data.Dataset:
    """(ids, segment ids, label) rows from features tokenized in Python."""
    return tf.data.Dataset.from_tensor_slices((
        tf.ragged.constant(features.input_ids, dtype=tf.int32),
        tf.ragged.constant(features.segment_ids, dtype=tf.int32),
        features.labels,
    ))


def bucket_lengths(max_seq_length: int) -> list[int]:
    """The padded lengths a batch may have: BUCKET_BOUNDARIES below max_seq_length, then it."""
    return [b for b in BUCKET_BOUNDARIES if b < max_seq_length] + [max_seq_length]


def _inputs(ids, segments):
    return {"token_ids": ids, "segment_ids": segments, "padding_mask": tf.ones_like(ids)}


def make_dataset(features, batch_size: int, training: bool, bucket: bool, seed: int,
                 max_seq_length: int) -> tf.data.Dataset:
    """Batches of (inputs, labels); for `training`, shuffled anew every pass and repeated
    without end, every batch full (as Google's input_fn: repeat, then batch without remainder).

    `bucket`: rows are grouped by length and each batch is padded to its bucket's length
    (`bucket_lengths`): a few shapes, so the tensor kernels (and the XLA-compiled GELU
    gradient) are prepared once, and little padding. Buckets fill across passes, so no pass
    ends in part-filled batches of new shapes. Without `bucket` every batch is padded to
    max_seq_length (Google's shapes).
    `features`: Features (tokenized in Python) or EncodedRows (tokenized in the graph, kept
    after the first pass).
    """
    if isinstance(features, Features):
        dataset = features_dataset(features)
    else:
        dataset = features.rows.cache()  # tokenized once, not again every epoch
    if training:
        dataset = dataset.shuffle(100_000, seed=seed, reshuffle_each_iteration=True).repeat()
    dataset = dataset.map(lambda ids, segments, labels: (_inputs(ids, segments), labels))
    if bucket:
        lengths = bucket_lengths(max_seq_length)
        dataset = dataset.bucket_by_sequence_length(
            lambda x, _: tf.shape(x["token_ids"])[0], [n + 1 for n in lengths],
            [batch_size] * (len(lengths) + 1), pad_to_bucket_boundary=True)
    else:
        padded = {k: [max_seq_length] for k in ("token_ids", "segment_ids", "padding_mask")}
        dataset = dataset.padded_batch(batch_size, padded_shapes=(padded, []))
    return dataset.prefetch(tf.data.AUTOTUNE)


def in_memory(features) -> Features:
    """`features` with every row in memory (rows tokenized in the graph are read once, in the
    tokenizer's batches: splitting them into rows inside tf.data and batching again cost as
    much as the tokenizing)."""
    if isinstance(features, Features):
        return features
    ids, segments = [], []
    for batch_ids, batch_segments, _ in features.batches:
        splits = batch_ids.row_splits.numpy()[1:-1]
        ids.extend(np.split(batch_ids.flat_values.numpy(), splits))
        segments.extend(np.split(batch_segments.flat_values.numpy(), splits))
    return Features(ids, segments, features.labels)


def evaluation_dataset(features, batch_size: int, bucket: bool, max_seq_length: int,
                       exact_lengths: bool = False) -> tuple[tf.data.Dataset, np.ndarray]:
    """(batches of (inputs, labels), the row each output row is) for evaluation and prediction.

    `bucket`: rows sorted by length and cut into full batches, each cut to the first of
    `bucket_lengths` that holds its longest row, or with `exact_lengths` to that row's length
    (sorted batches then carry almost no padding; for graphs that take any length, not XLA's).
    Without `bucket`: file order, padded to max_seq_length. Rows are padded once in memory, so
    a batch costs the pipeline one slice (per-row work in tf.data competed with the model for
    a small machine's cores).
    """
    features = in_memory(features)
    count = len(features.labels)
    lengths = np.fromiter(map(len, features.input_ids), np.int64, count)
    order = np.argsort(lengths, kind="stable") if bucket else np.arange(count)
    width = max_seq_length if not bucket else min(w for w in bucket_lengths(max_seq_length)
                                                  if w >= lengths.max(initial=0))
    present = np.arange(width)[None, :] < lengths[order][:, None]

    def padded(rows: list) -> np.ndarray:
        values = np.zeros([count, width], np.int32)
        if count:
            values[present] = np.concatenate([np.asarray(rows[i], np.int32) for i in order])
        return values

    inputs = {"token_ids": padded(features.input_ids), "segment_ids": padded(features.segment_ids),
              "padding_mask": present.astype(np.int32)}
    batches = tf.data.Dataset.from_tensor_slices((inputs, np.asarray(features.labels)[order])).batch(batch_size)
    if bucket:
        widths = tf.constant(bucket_lengths(max_seq_length))

        def cut_to_bucket(inputs, labels):
            longest = tf.reduce_max(tf.reduce_sum(inputs["padding_mask"], 1))
            cut = longest if exact_lengths else tf.gather(widths, tf.searchsorted(widths, tf.reshape(longest, [1])))[0]
            return {k: v[:, :cut] for k, v in inputs.items()}, labels

        batches = batches.map(cut_to_bucket)
    options = tf.data.Options()
    # One slice a batch: nothing to tune, and no tuning thread for the iterator's deletion to wait on.
    options.autotune.enabled = False
    return batches.prefetch(1).with_options(options), order
