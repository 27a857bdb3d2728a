"""Fine-tuning, evaluating and predicting a CLUE task: the library side of run_classifier.

The model is Google's run_classifier model (pooled output, dropout, `output_weights` /
`output_bias`) on a bundle's encoder; inputs are Google's `[CLS] a [SEP] b [SEP]`
features, but batched by length (dynamic padding, training batches bucketed by length)
instead of padding everything to max_seq_length. Text is tokenized inside tf.data by the
in-graph tokenizer (Google-exact), or optionally by the Python one.
"""

import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from clue_tf.checkpoints import folders
from clue_tf.errors import CheckpointError, ClueTfError
from clue_tf.io_utils import (atomic_write, output_lock, raise_disk_full, remove_stale_temps, replace_together,
                              temp_prefix)
from clue_tf.tasks.classifier_checks import check_flags, read_inputs
from clue_tf.tasks.clue import ClueTask, Example, get_task, label_descriptions, read_examples
from clue_tf.tokenization.encoding import encode_example
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.training.optimization import make_optimizer
from clue_tf.training.strategy import check_float16_replicas, make_strategy

logger = logging.getLogger(__name__)

BUCKET_BOUNDARIES = [16, 24, 32, 48, 64, 96]


@dataclass
class ClassifierSettings:
    """run_classifier's settings; names follow Google's flags."""

    task_name: str
    data_dir: str
    output_dir: str
    bundle_dir: Optional[str] = None
    bert_config_file: Optional[str] = None
    vocab_file: Optional[str] = None
    init_checkpoint: Optional[str] = None
    do_lower_case: bool = True
    max_seq_length: int = 128
    do_train: bool = False
    do_eval: bool = False
    do_predict: bool = False
    train_batch_size: int = 32
    eval_batch_size: int = 8
    predict_batch_size: int = 8
    learning_rate: float = 5e-5
    num_train_epochs: float = 3.0
    warmup_proportion: float = 0.1
    strategy: str = "one_device"
    mixed_precision: str = "float32"
    use_xla: bool = False  # Keras compiles the train step with jit_compile=True
    bucket_by_length: bool = True
    tokenize_in_graph: bool = True  # the tf.data tokenizer; False: Google's Python one (same ids)
    train_file: str = "train.json"
    dev_file: str = "dev.json"
    max_train_examples: Optional[int] = None
    submission_zip: bool = False
    seed: int = 12345
    allow_unused_weights: bool = False
    optimizer: str = "adamw"  # Google's AdamWeightDecay; "adamw_keras": Keras's AdamW
    export_saved_model: Optional[str] = None  # a serving SavedModel of the trained (or given) model


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


class BestWeights(keras.callbacks.Callback):
    """Saves the weights after each epoch whose dev accuracy is the best so far, atomically
    (Keras's ModelCheckpoint writes in place, so an interrupt could corrupt the best file)."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.best = -1.0

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy", -1.0)
        if accuracy > self.best:
            self.best = accuracy
            save_weights_atomically(self.model, self.path)


def save_weights_atomically(model, path: str) -> None:
    """model.save_weights into a temp folder beside `path` (Keras wants the .weights.h5 name),
    then one rename; a killed run's folder is removed by the next writer there."""
    remove_stale_temps(path)
    folder = tempfile.mkdtemp(prefix=temp_prefix(path), dir=os.path.dirname(os.path.abspath(path)))
    try:
        model.save_weights(os.path.join(folder, "model.weights.h5"))
        os.replace(os.path.join(folder, "model.weights.h5"), path)
    except BaseException as e:
        raise_disk_full(e, path)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class ClassifierRun:
    """One task's model, tokenizer and data; train / evaluate / predict write Google's outputs."""

    def __init__(self, s: ClassifierSettings):
        self.s = s
        self.task = get_task(s.task_name)
        check_flags(s)
        self.examples = read_inputs(s, self.task)  # every input checked before the model is built
        keras.utils.set_random_seed(s.seed)
        keras.mixed_precision.set_global_policy(s.mixed_precision)
        self.strategy = make_strategy(s.strategy)
        check_float16_replicas(s.mixed_precision, self.strategy)
        files = folders.locate(s.bundle_dir, config_file=s.bert_config_file, vocab_file=s.vocab_file,
                               weights=s.init_checkpoint, need_vocab=True)
        with self.strategy.scope():
            self.bundle = folders.load(files, heads=("classifier",), num_labels=len(self.task.labels),
                                       allow_unused=s.allow_unused_weights)
        if not s.do_train and (s.do_eval or s.do_predict) and "classifier" in self.bundle.report.initial_heads:
            self.bundle = self._trained_bundle(files)
        limit = getattr(_encoder_of(self.bundle.model), "max_sequence_length", None)
        if limit and s.max_seq_length > limit:
            raise ClueTfError(f"--max_seq_length={s.max_seq_length}: above the model's {limit} positions "
                              f"(max_position_embeddings)")
        self.model = self.bundle.model
        if s.tokenize_in_graph:
            from clue_tf.tokenization.bert_tokenizer import BertTokenizer

            self.tokenizer = BertTokenizer(self.bundle.vocab, do_lower_case=s.do_lower_case)
        else:
            self.tokenizer = FullTokenizer(self.bundle.vocab, do_lower_case=s.do_lower_case)
        os.makedirs(s.output_dir, exist_ok=True)

    def _trained_bundle(self, files):
        """Google's workflow (train, then later predict into the same --output_dir with the
        pretrained model flags): the head trained there, OUTPUT_DIR/best_bundle, is used."""
        trained = os.path.join(self.s.output_dir, "best_bundle")
        if not os.path.isdir(trained):
            raise CheckpointError(
                f"{files.weights}: has no classifier head (output_weights / output_bias), so it cannot "
                "evaluate or predict; train it (--do_train) or give --bundle_dir=OUTPUT_DIR/best_bundle")
        logger.warning("%s has no classifier head: using the one trained in %s", files.weights, trained)
        with self.strategy.scope():
            return folders.load(folders.locate(trained), heads=("classifier",), num_labels=len(self.task.labels),
                                require=("classifier",), purpose="evaluate or predict")

    def _features(self, file_name: str, labelled: bool, limit: Optional[int] = None):
        examples = self.examples.get(file_name)
        if examples is None:
            examples = read_examples(self.task, os.path.join(self.s.data_dir, file_name), labelled)
        examples = examples[:limit] if limit else examples
        if self.s.tokenize_in_graph:
            return examples, encoded_rows(examples, self.tokenizer, self.task, self.s.max_seq_length)
        return examples, featurize(examples, self.tokenizer, self.task, self.s.max_seq_length)

    def train(self) -> dict:
        s = self.s
        _, train = self._features(s.train_file, True, s.max_train_examples)
        _, dev = self._features(s.dev_file, True)
        steps_per_epoch = max(1, len(train.labels) // s.train_batch_size)
        total = max(1, int(steps_per_epoch * s.num_train_epochs))
        train_data = make_dataset(train, s.train_batch_size, True, s.bucket_by_length, s.seed, s.max_seq_length)
        dev_data = make_dataset(dev, s.eval_batch_size, False, s.bucket_by_length, s.seed, s.max_seq_length)
        # Google clips the global gradient norm at 1.0; the optimizer does it after its all-reduce,
        # so it is exact on any number of replicas.
        with self.strategy.scope():
            self.model.compile(
                optimizer=make_optimizer(s.optimizer, s.learning_rate, total, int(total * s.warmup_proportion)),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                jit_compile=s.use_xla)
        best_weights = os.path.join(s.output_dir, "best.weights.h5")
        history = self.model.fit(
            train_data.repeat(), epochs=max(1, int(np.ceil(s.num_train_epochs))),
            steps_per_epoch=min(steps_per_epoch, total), validation_data=dev_data,
            callbacks=[
                BestWeights(best_weights),
                keras.callbacks.TensorBoard(os.path.join(s.output_dir, "logs")),
            ], verbose=2, shuffle=False)  # the dataset shuffles itself
        self.model.load_weights(best_weights)  # CLUE's advice: keep the best dev epoch
        folders.write(os.path.join(s.output_dir, "best_bundle"), self.model, self.bundle.family,
                      self.bundle.config, self.bundle.vocab_file, self.bundle.family.native_format)
        return {k: [float(v) for v in values] for k, values in history.history.items()}

    def evaluate(self) -> dict:
        s = self.s
        _, dev = self._features(s.dev_file, True)
        probabilities = self._probabilities(dev, s.eval_batch_size)
        predictions = probabilities.argmax(-1)
        logp = np.log(np.maximum(probabilities[np.arange(len(dev.labels)), dev.labels], 1e-12))
        results = {"eval_accuracy": float((predictions == dev.labels).mean()),
                   "eval_loss": float(-logp.mean()), "eval_examples": int(len(dev.labels))}
        with atomic_write(os.path.join(s.output_dir, "eval_results.txt")) as f:
            for key in sorted(results):
                f.write(f"{key} = {results[key]}\n")
        with atomic_write(os.path.join(s.output_dir, "eval_results.json")) as f:
            json.dump(results, f, indent=2)
        return results

    def predict(self) -> list[str]:
        """Writes test_results.tsv and the CLUE submission file(s); returns their paths."""
        s = self.s
        files = {}
        descriptions = label_descriptions(self.task, s.data_dir) if self.task.label_desc_field else {}
        for test_file, submission in self.task.test_files.items():
            path = os.path.join(s.data_dir, test_file)
            if submission is None:
                submission = self.task.submission_file
            if test_file not in self.examples:
                continue  # optional test files (TNEWS's test1.0.json) that are not there
            examples, features = self._features(test_file, labelled=False)
            probabilities = self._probabilities(features, s.predict_batch_size)
            files.update(prediction_files(self.task, examples, probabilities, test_file, submission, descriptions))
        return write_prediction_set(s.output_dir, files, s.submission_zip)

    def _probabilities(self, features, batch_size: int) -> np.ndarray:
        data = make_dataset(features, batch_size, False, self.s.bucket_by_length, self.s.seed, self.s.max_seq_length)
        logits = self.model.predict(data.map(lambda x, y: x), verbose=0)
        return tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()


def prediction_files(task: ClueTask, examples: list[Example], probabilities: np.ndarray, test_file: str,
                     submission: str, descriptions: dict) -> dict[str, str]:
    """Google's test_results.tsv (probabilities) and CLUE's submission file for one test
    file, as {file name: text}."""
    tsv_name = "test_results.tsv" if test_file == "test.json" else f"test_results_{test_file[:-5]}.tsv"
    tsv = "".join("\t".join(str(float(p)) for p in row) + "\n" for row in probabilities)
    records = []
    for example, row in zip(examples, probabilities):
        label = task.labels[int(row.argmax())]
        record = {"id": example.guid, "label": label}
        if task.label_desc_field:
            record[task.label_desc_field] = descriptions.get(label, "")
        records.append(json.dumps(record, ensure_ascii=False) + "\n")
    return {tsv_name: tsv, submission: "".join(records)}


def write_prediction_set(output_dir: str, files: dict[str, str], submission_zip: bool) -> list[str]:
    """Writes one run's prediction files (and submission.zip of its *_predict.json files) as
    one set, so a kill never leaves new predictions beside an old zip; returns the
    submission paths, then the zip's."""
    contents = {name: text.encode("utf-8") for name, text in files.items()}
    submissions = sorted(name for name in files if name.endswith("_predict.json"))
    if submission_zip:
        contents["submission.zip"] = zip_bytes({name: contents[name] for name in submissions})
    paths = [os.path.join(output_dir, name) for name in contents]
    with replace_together(paths) as temporary:
        for tmp_path, data in zip(temporary, contents.values()):
            with open(tmp_path, "wb") as f:
                f.write(data)
    return [os.path.join(output_dir, name) for name in submissions + (["submission.zip"] if submission_zip else [])]


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive holding `files`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_submissions(output_dir: str, files: Optional[list] = None, name: str = "submission.zip") -> str:
    """The given submission files of `output_dir` (default: every *_predict.json) in one zip,
    written atomically."""
    files = sorted(files if files is not None else (f for f in os.listdir(output_dir) if f.endswith("_predict.json")))
    contents = {}
    for file_name in files:
        with open(os.path.join(output_dir, file_name), "rb") as f:
            contents[file_name] = f.read()
    path = os.path.join(output_dir, name)
    with atomic_write(path, "wb") as f:
        f.write(zip_bytes(contents))
    return path


def _encoder_of(model):
    """The encoder inside a task model (a keras-hub Backbone), or None."""
    import keras_hub

    if isinstance(model, keras_hub.models.Backbone):
        return model
    return next((layer for layer in model.layers if isinstance(layer, keras_hub.models.Backbone)), None)


def run_classifier(s: ClassifierSettings) -> dict:
    if s.export_saved_model:  # a bad export folder is reported before training, not after
        from clue_tf.serving.export import ExportSettings, check_settings

        check_settings(ExportSettings(export_dir=s.export_saved_model, max_seq_length=s.max_seq_length),
                       folder_flag="export_saved_model")
    with output_lock(s.output_dir, "run_classifier"):
        run = ClassifierRun(s)
        results = {}
        if s.do_train:
            results["train"] = run.train()
        if s.do_eval:
            results["eval"] = run.evaluate()
        if s.do_predict:
            results["predict"] = run.predict()
        if s.export_saved_model:
            results["export"] = export_for_serving(s)
    return results


def export_for_serving(s: ClassifierSettings) -> str:
    """The SavedModel of the model run_classifier ends with: best_bundle after training,
    else the given bundle (which must carry a trained head)."""
    from clue_tf.serving.export import ExportSettings, export_saved_model

    trained = os.path.join(s.output_dir, "best_bundle")
    export_saved_model(ExportSettings(
        export_dir=s.export_saved_model, bundle_dir=trained if s.do_train else s.bundle_dir,
        bert_config_file=None if s.do_train else s.bert_config_file,
        vocab_file=None if s.do_train else s.vocab_file, init_checkpoint=None if s.do_train else s.init_checkpoint,
        task_name=s.task_name, do_lower_case=s.do_lower_case, max_seq_length=s.max_seq_length,
        allow_unused_weights=s.allow_unused_weights))
    return s.export_saved_model
