"""run_classifier's inputs as tf.data: Google's features (tokenized in Python or in the
graph), batches padded to their longest row, training batches grouped by length."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from clue_tf.tasks.clue import ClueTask, Example
from clue_tf.tokenization.encoding import encode_example
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.tokenization.graph_encoding import encode_in_graph

BUCKET_BOUNDARIES = [16, 24, 32, 48, 64, 96]


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
    """(ids, segment ids, label) rows produced inside tf.data, and the labels."""

    rows: tf.data.Dataset
    labels: np.ndarray


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
    # unbatch hides the row count; stating it keeps Keras from warning "input ran out of data"
    rows = dataset.unbatch().apply(tf.data.experimental.assert_cardinality(len(labels)))
    return EncodedRows(rows, labels)


def features_dataset(features: Features) -> tf.data.Dataset:
    """(ids, segment ids, label) rows from features tokenized in Python."""
    return tf.data.Dataset.from_tensor_slices((
        tf.ragged.constant(features.input_ids, dtype=tf.int32),
        tf.ragged.constant(features.segment_ids, dtype=tf.int32),
        features.labels,
    ))


def make_dataset(features, batch_size: int, training: bool, bucket: bool, seed: int,
                 max_seq_length: int) -> tf.data.Dataset:
    """Batches padded to their longest row; training batches also grouped by length.
    `features`: Features (tokenized in Python) or EncodedRows (tokenized in the graph)."""
    dataset = features_dataset(features) if isinstance(features, Features) else features.rows
    if training:
        dataset = dataset.shuffle(100_000, seed=seed, reshuffle_each_iteration=True)

    def to_inputs(ids, segments, labels):
        mask = tf.ones_like(ids)
        return {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}, labels

    dataset = dataset.map(to_inputs)
    if training and bucket:
        boundaries = [b for b in BUCKET_BOUNDARIES if b < max_seq_length]
        dataset = dataset.bucket_by_sequence_length(
            lambda x, y: tf.shape(x["token_ids"])[0], boundaries, [batch_size] * (len(boundaries) + 1))
    elif bucket:
        dataset = dataset.padded_batch(batch_size)
    else:
        dataset = dataset.padded_batch(batch_size, padded_shapes=(
            {k: [max_seq_length] for k in ("token_ids", "segment_ids", "padding_mask")}, []))
    return dataset.prefetch(tf.data.AUTOTUNE)

