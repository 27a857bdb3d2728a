"""The graph twin of `encoding.py`: Google's `[CLS] a [SEP] (b [SEP])` packing and pair
truncation on tensors, for tf.data pipelines and the serving SavedModel."""

from typing import Optional

import tensorflow as tf


def truncated_pair_lengths(length_a, length_b, budget):
    """Lengths Google's truncate_seq_pair leaves (it pops from the longer, b on ties), in
    closed form so it runs on tensors: a keeps max(budget - b, ceil(budget / 2)) at most."""
    keep_a = tf.minimum(length_a, tf.maximum(budget - length_b, (budget + 1) // 2))
    return keep_a, tf.minimum(length_b, budget - keep_a)


def encode_in_graph(tokenizer, texts_a: tf.Tensor, texts_b: Optional[tf.Tensor], max_seq_length: int):
    """Google's `[CLS] a [SEP] (b [SEP])` ids and segment ids for a batch of strings, built
    with the in-graph tokenizer (ragged rows, no padding)."""
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokens_a = tf.cast(tokenizer(texts_a), tf.int32)
    rows = tokens_a.nrows()
    cls = tf.fill([rows, 1], cls_id)
    sep = tf.fill([rows, 1], sep_id)
    if texts_b is None:
        tokens_a = tokens_a[:, : max_seq_length - 2]
        ids = tf.concat([cls, tokens_a, sep], axis=1)
        return ids, tf.zeros_like(ids)
    tokens_b = tf.cast(tokenizer(texts_b), tf.int32)
    keep_a, keep_b = truncated_pair_lengths(tokens_a.row_lengths(), tokens_b.row_lengths(),
                                            tf.constant(max_seq_length - 3, tf.int64))
    tokens_a = tf.RaggedTensor.from_row_lengths(
        tf.ragged.boolean_mask(tokens_a, tf.ragged.range(tokens_a.row_lengths()) < keep_a[:, None]).values, keep_a)
    tokens_b = tf.RaggedTensor.from_row_lengths(
        tf.ragged.boolean_mask(tokens_b, tf.ragged.range(tokens_b.row_lengths()) < keep_b[:, None]).values, keep_b)
    first = tf.concat([cls, tokens_a, sep], axis=1)
    second = tf.concat([tokens_b, sep], axis=1)
    return tf.concat([first, second], axis=1), tf.concat([tf.zeros_like(first), tf.ones_like(second)], axis=1)

