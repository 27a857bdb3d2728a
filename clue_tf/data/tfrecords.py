"""Google's pretraining TFRecord schema: writing instances, parsing, dynamic masking.

Feature names, dtypes and lengths are those of Google's create_pretraining_data.py and
run_pretraining.py, so records made by either side are read by the other.
"""

from typing import Callable, Iterable, Optional, Sequence

import tensorflow as tf

from clue_tf.data.pretraining import TrainingInstance
from clue_tf.errors import InputTextError, OutputError
from clue_tf.io.outputs import replace_together
from clue_tf.tokenization.vocab import Vocab


def feature_spec(max_seq_length: int, max_predictions_per_seq: int) -> dict:
    return {
        "input_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "input_mask": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature([max_predictions_per_seq], tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature([max_predictions_per_seq], tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature([max_predictions_per_seq], tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }


def instance_to_example(instance: TrainingInstance, vocab: Vocab, max_seq_length: int,
                        max_predictions_per_seq: int) -> tf.train.Example:
    """Zero-padded features, exactly as Google's write_instance_to_example_files."""
    input_ids = [vocab.ids[t] for t in instance.tokens]
    padding = max_seq_length - len(input_ids)
    masked_ids = [vocab.ids[t] for t in instance.masked_lm_labels]
    masked_padding = max_predictions_per_seq - len(masked_ids)

    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    features = {
        "input_ids": ints(input_ids + [0] * padding),
        "input_mask": ints([1] * len(input_ids) + [0] * padding),
        "segment_ids": ints(list(instance.segment_ids) + [0] * padding),
        "masked_lm_positions": ints(list(instance.masked_lm_positions) + [0] * masked_padding),
        "masked_lm_ids": ints(masked_ids + [0] * masked_padding),
        "masked_lm_weights": tf.train.Feature(float_list=tf.train.FloatList(
            value=[1.0] * len(masked_ids) + [0.0] * masked_padding)),
        "next_sentence_labels": ints([1 if instance.is_random_next else 0]),
    }
    return tf.train.Example(features=tf.train.Features(feature=features))


def write_instances(instances: Sequence[TrainingInstance], vocab: Vocab, output_files: Sequence[str],
                    max_seq_length: int, max_predictions_per_seq: int, companion=None) -> int:
    """Writes masked-LM instances round-robin over `output_files`, atomically."""
    return write_examples((instance_to_example(i, vocab, max_seq_length, max_predictions_per_seq)
                           for i in instances), output_files, companion=companion)


def write_examples(examples: Iterable, output_files: Sequence[str], serialized: bool = False,
                   companion: Optional[tuple[str, Callable[[int], str]]] = None) -> int:
    """Writes examples (tf.train.Example, or bytes with `serialized`) round-robin over
    `output_files`, which replace any earlier files as one set once all are complete (a
    kill leaves the old set). `companion`: (path, text from the count), a file such as the
    counts JSON that joins the same set. Returns the count."""
    count = 0
    extra = [companion[0]] if companion else []
    with replace_together([*output_files, *extra]) as temporary:
        writers = [tf.io.TFRecordWriter(tmp) for tmp in temporary[: len(output_files)]]
        for count, example in enumerate(examples, start=1):
            writers[(count - 1) % len(writers)].write(example if serialized else example.SerializeToString())
        for writer in writers:
            writer.close()
        if count < len(output_files):
            raise OutputError(f"{count} instances for {len(output_files)} --output_file's: "
                              f"{len(output_files) - count} would be empty; give at most {count} files")
        if companion:
            with open(temporary[-1], "w", encoding="utf-8") as f:
                f.write(companion[1](count))
    return count


def check_record_files(files: Sequence[str], lengths: dict[str, tuple[str, int]]) -> None:
    """The first record of each file is a tf.train.Example whose features have the lengths the
    flags give: `lengths` maps a feature name to (flag, value). One error names the file."""
    for path in files:
        try:
            first = next(iter(tf.data.TFRecordDataset(path).take(1)), None)
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError):
            raise InputTextError(f"{path}: not a TFRecord file") from None
        except tf.errors.OpError as e:
            raise InputTextError(f"{path}: cannot read ({e.message.splitlines()[0]})") from None
        if first is None:
            raise InputTextError(f"{path}: holds no records")
        try:
            features = tf.train.Example.FromString(first.numpy()).features.feature
        except Exception:  # protobuf's DecodeError
            raise InputTextError(f"{path}: its records are not tf.train.Example protos") from None
        for name, (flag, value) in lengths.items():
            if name not in features:
                raise InputTextError(f"{path}: records have no {name} feature (made for another "
                                     "--model_family or objective?)")
            found = len(features[name].int64_list.value)
            if found != value:
                raise InputTextError(f"{path}: records hold {name} of length {found}, but --{flag}={value}; "
                                     f"pass --{flag}={found}")


def parse_examples(records: tf.Tensor, max_seq_length: int, max_predictions_per_seq: int) -> dict:
    """A batch of serialized examples -> int32/float32 features (TPUs want int32)."""
    parsed = tf.io.parse_example(records, feature_spec(max_seq_length, max_predictions_per_seq))
    return {k: tf.cast(v, tf.int32) if v.dtype == tf.int64 else v for k, v in parsed.items()}


def dynamic_mask(features: dict, vocab_size: int, mask_id: int, special_ids: Sequence[int],
                 max_predictions_per_seq: int, masked_lm_prob: float = 0.15, seed=(0, 0)) -> dict:
    """Draws fresh masks for a batch of unmasked records (RoBERTa's dynamic masking):
    ~masked_lm_prob of the real, non-special tokens, 80% [MASK], 10% random, 10% kept.
    Stateless: the same `seed` (e.g. [run seed, batch number]) gives the same masks."""
    seed = tf.cast(seed, tf.int64)
    ids = features["input_ids"]
    is_candidate = tf.cast(features["input_mask"], tf.bool)
    for special in special_ids:
        is_candidate &= ids != special
    scores = tf.random.stateless_uniform(tf.shape(ids), seed=seed)
    scores = tf.where(is_candidate, scores, -1.0)
    lengths = tf.reduce_sum(tf.cast(is_candidate, tf.float32), axis=1)
    num_to_predict = tf.minimum(
        max_predictions_per_seq, tf.maximum(1, tf.cast(tf.round(lengths * masked_lm_prob), tf.int32)))
    top = tf.math.top_k(scores, k=max_predictions_per_seq)
    slots = tf.range(max_predictions_per_seq)[None, :]
    chosen = (slots < num_to_predict[:, None]) & (top.values >= 0)
    positions = tf.where(chosen, top.indices, 0)
    labels = tf.gather(ids, positions, batch_dims=1) * tf.cast(chosen, ids.dtype)
    action = tf.random.stateless_uniform(tf.shape(positions), seed=seed + [0, 1])
    random_ids = tf.random.stateless_uniform(tf.shape(positions), seed=seed + [0, 2], minval=0,
                                             maxval=vocab_size, dtype=ids.dtype)
    replacement = tf.where(action < 0.8, mask_id, tf.where(action < 0.9, random_ids, labels))
    batch_index = tf.broadcast_to(tf.range(tf.shape(ids)[0])[:, None], tf.shape(positions))
    updates = tf.boolean_mask(tf.stack([batch_index, positions], -1), chosen)
    new_ids = tf.tensor_scatter_nd_update(ids, updates, tf.boolean_mask(replacement, chosen))
    return dict(features, input_ids=new_ids, masked_lm_positions=positions,
                masked_lm_ids=labels, masked_lm_weights=tf.cast(chosen, tf.float32))
