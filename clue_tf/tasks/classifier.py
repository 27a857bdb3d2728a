"""Fine-tuning, evaluating and predicting a CLUE task: the library side of run_classifier.

The model is Google's run_classifier model (pooled output, dropout, `output_weights` /
`output_bias`) on a bundle's encoder, whose last layer computes the first token only (the
one the classifier reads, models/first_token.py); inputs are Google's `[CLS] a [SEP] b [SEP]`
features, but batched by length (dynamic padding, training batches bucketed by length)
instead of padding everything to max_seq_length. Text is tokenized inside tf.data by the
in-graph tokenizer (Google-exact), or optionally by the Python one.
"""

import json
import logging
import os
from dataclasses import dataclass
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from clue_tf.checkpoints import folders
from clue_tf.errors import CheckpointError, ClueTfError
from clue_tf.io.outputs import atomic_file_path, atomic_write, output_lock
from clue_tf.models.backbones import find_encoder
from clue_tf.tasks.classifier_checks import read_inputs
from clue_tf.tasks.classifier_data import encoded_rows, evaluation_dataset, featurize, make_dataset
from clue_tf.tasks.clue import get_task, label_descriptions, read_examples
from clue_tf.tasks.submission import prediction_files, write_prediction_set
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.training.optimization import make_optimizer
from clue_tf.training.settings import TrainingSettings
from clue_tf.training.strategy import check_float16_replicas, make_strategy

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class ClassifierSettings(TrainingSettings):
    """run_classifier's settings beyond every run's; names follow Google's flags."""

    task_name: str
    data_dir: str
    bundle_dir: Optional[str] = None
    do_lower_case: bool = True
    do_predict: bool = False
    predict_batch_size: int = 8
    num_train_epochs: float = 3.0
    warmup_proportion: float = 0.1
    bucket_by_length: bool = True
    tokenize_in_graph: bool = True  # the tf.data tokenizer; False: Google's Python one (same ids)
    train_file: str = "train.json"
    dev_file: str = "dev.json"
    max_train_examples: Optional[int] = None
    submission_zip: bool = False
    export_saved_model: Optional[str] = None  # a serving SavedModel of the trained (or given) model

    def check(self) -> None:
        """The flag values alone, before any file is read or model built."""
        if not (self.do_train or self.do_eval or self.do_predict or self.export_saved_model):
            raise ClueTfError("nothing to do: set at least one of --do_train, --do_eval, --do_predict "
                              "(or --export_saved_model)")
        super().check()
        self.require_at_least(predict_batch_size=1)
        if self.do_train:
            if not self.num_train_epochs > 0:
                raise ClueTfError(f"--num_train_epochs={self.num_train_epochs}: must be above 0")
            if not 0 <= self.warmup_proportion <= 1:
                raise ClueTfError(f"--warmup_proportion={self.warmup_proportion}: must be in [0, 1]")
            if self.max_train_examples is not None and self.max_train_examples < 1:
                raise ClueTfError(f"--max_train_examples={self.max_train_examples}: must be at least 1 "
                                  "(leave it out for all)")
        if not os.path.isdir(self.data_dir):
            raise ClueTfError(f"--data_dir={self.data_dir}: no such folder")


class DevEvaluation(keras.callbacks.Callback):
    """Adds val_loss and val_accuracy to each epoch's logs, from the dev batches through the
    forward pass evaluate() uses; listed first, so the callbacks after it see them. (fit's own
    validation_data stalled for as long as a dev pass after about one epoch in ten on
    TensorFlow 2.20, at the end of Keras's evaluate.)"""

    def __init__(self, logits_of, batches: tf.data.Dataset):
        super().__init__()
        self.logits_of = logits_of
        self.inputs = batches.map(lambda x, y: x)
        self.labels = np.concatenate(list(batches.map(lambda x, y: y).as_numpy_iterator()))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            accuracy, loss = accuracy_and_loss(softmax(self.logits_of(self.inputs)), self.labels)
            logs.update(val_loss=loss, val_accuracy=accuracy)


def softmax(logits) -> np.ndarray:
    """Class probabilities in float32 (logits may be bfloat16 or float16)."""
    return tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()


def accuracy_and_loss(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of class probabilities against integer labels."""
    labels = np.asarray(labels)
    picked = probabilities[np.arange(len(labels)), labels]
    return float((probabilities.argmax(-1) == labels).mean()), float(-np.log(np.maximum(picked, 1e-12)).mean())


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
    """model.save_weights, renamed into place only when whole."""
    with atomic_file_path(path) as temporary:
        model.save_weights(temporary)


class ClassifierRun:
    """One task's model, tokenizer and data; train / evaluate / predict write Google's outputs."""

    def __init__(self, settings: ClassifierSettings):
        self.settings = settings
        self._predict_step = None  # the compiled forward pass evaluation and prediction share
        self.task = get_task(settings.task_name)
        settings.check()
        self.examples = read_inputs(settings, self.task)  # every input checked before the model is built
        keras.utils.set_random_seed(settings.seed)
        keras.mixed_precision.set_global_policy(settings.mixed_precision)
        self.strategy = make_strategy(settings.strategy)
        check_float16_replicas(settings.mixed_precision, self.strategy)
        files = folders.locate(settings.bundle_dir, config_file=settings.bert_config_file,
                               vocab_file=settings.vocab_file,
                               weights=settings.init_checkpoint, need_vocab=True)
        with self.strategy.scope():
            self.loaded = folders.load(files, heads=("classifier",), num_labels=len(self.task.labels),
                                       allow_unused=settings.allow_unused_weights, first_token_only=True)
        only_uses_a_head = not settings.do_train and (settings.do_eval or settings.do_predict)
        if only_uses_a_head and "classifier" in self.loaded.report.initial_heads:
            self.loaded = self._trained_bundle(files)
        limit = getattr(find_encoder(self.loaded.model, required=False), "max_sequence_length", None)
        if limit and settings.max_seq_length > limit:
            raise ClueTfError(f"--max_seq_length={settings.max_seq_length}: above the model's {limit} positions "
                              f"(max_position_embeddings)")
        self.model = self.loaded.model
        if settings.recompute_grad:
            from clue_tf.models.recompute import recompute_transformer_layers

            logger.info("--recompute_grad: %d transformer layers", recompute_transformer_layers(self.model))
        self.tokenizer = FullTokenizer(self.loaded.vocab, do_lower_case=settings.do_lower_case)
        self.tokenize_in_graph = settings.tokenize_in_graph and not self.tokenizer.word_level
        if settings.tokenize_in_graph and not self.tokenize_in_graph:
            logger.info("%s: a word-level vocab (jieba words first): the Python tokenizer reads the texts",
                        self.tokenizer.vocab.path)
        if self.tokenize_in_graph:
            from clue_tf.tokenization.bert_tokenizer import BertTokenizer

            self.tokenizer = BertTokenizer(self.tokenizer.vocab, do_lower_case=settings.do_lower_case)
        os.makedirs(settings.output_dir, exist_ok=True)

    def _trained_bundle(self, files):
        """Google's workflow (train, then later predict into the same --output_dir with the
        pretrained model flags): the head trained there, OUTPUT_DIR/best_bundle, is used."""
        trained = os.path.join(self.settings.output_dir, "best_bundle")
        if not os.path.isdir(trained):
            raise CheckpointError(
                f"{files.weights}: has no classifier head (output_weights / output_bias), so it cannot "
                "evaluate or predict; train it (--do_train) or give --bundle_dir=OUTPUT_DIR/best_bundle")
        logger.warning("%s has no classifier head: using the one trained in %s", files.weights, trained)
        with self.strategy.scope():
            return folders.load(folders.locate(trained), heads=("classifier",), num_labels=len(self.task.labels),
                                require=("classifier",), purpose="evaluate or predict", first_token_only=True)

    def _features(self, file_name: str, labelled: bool, limit: Optional[int] = None):
        examples = self.examples.get(file_name)
        if examples is None:
            examples = read_examples(self.task, os.path.join(self.settings.data_dir, file_name), labelled)
        examples = examples[:limit] if limit else examples
        if self.tokenize_in_graph:
            return examples, encoded_rows(examples, self.tokenizer, self.task, self.settings.max_seq_length)
        return examples, featurize(examples, self.tokenizer, self.task, self.settings.max_seq_length)

    def training_data(self) -> tuple:
        """(train dataset, dev dataset, steps per epoch, total steps) as train() uses them."""
        settings = self.settings
        _, train = self._features(settings.train_file, True, settings.max_train_examples)
        _, dev = self._features(settings.dev_file, True)
        steps_per_epoch = max(1, len(train.labels) // settings.train_batch_size)
        total = max(1, int(steps_per_epoch * settings.num_train_epochs))
        train_data = make_dataset(train, settings.train_batch_size, True, settings.bucket_by_length, settings.seed,
                                  settings.max_seq_length)
        dev_data, _ = evaluation_dataset(dev, settings.eval_batch_size, settings.bucket_by_length,
                                         settings.max_seq_length, self._any_length)
        return train_data, dev_data, steps_per_epoch, total

    def compile_for_training(self, total: int) -> None:
        """Google's optimizer and schedule over `total` steps; clipping at global norm 1.0 happens
        inside the optimizer after its all-reduce, so it is exact on any number of replicas."""
        settings = self.settings
        with self.strategy.scope():
            self.model.compile(
                optimizer=make_optimizer(settings.optimizer, settings.learning_rate, total,
                                         int(total * settings.warmup_proportion)),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                jit_compile=settings.use_xla)

    def train(self) -> dict:
        settings = self.settings
        train_data, dev_data, steps_per_epoch, total = self.training_data()
        self.compile_for_training(total)
        best_weights = os.path.join(settings.output_dir, "best.weights.h5")
        history = self.model.fit(
            train_data, epochs=max(1, int(np.ceil(settings.num_train_epochs))),
            steps_per_epoch=min(steps_per_epoch, total),
            callbacks=[
                DevEvaluation(self._logits, dev_data),
                BestWeights(best_weights),
                keras.callbacks.TensorBoard(os.path.join(settings.output_dir, "logs")),
            ], verbose=2, shuffle=False)  # the dataset shuffles itself
        self.model.load_weights(best_weights)  # CLUE's advice: keep the best dev epoch
        folders.write(os.path.join(settings.output_dir, "best_bundle"), self.model, self.loaded.family,
                      self.loaded.config, self.loaded.vocab_file, self.loaded.family.native_format)
        return {k: [float(v) for v in values] for k, values in history.history.items()}

    def evaluate(self) -> dict:
        settings = self.settings
        _, dev = self._features(settings.dev_file, True)
        accuracy, loss = accuracy_and_loss(self._probabilities(dev, settings.eval_batch_size), dev.labels)
        results = {"eval_accuracy": accuracy, "eval_loss": loss, "eval_examples": int(len(dev.labels))}
        with atomic_write(os.path.join(settings.output_dir, "eval_results.txt")) as f:
            for key in sorted(results):
                f.write(f"{key} = {results[key]}\n")
        with atomic_write(os.path.join(settings.output_dir, "eval_results.json")) as f:
            json.dump(results, f, indent=2)
        return results

    def predict(self) -> list[str]:
        """Writes test_results.tsv and the CLUE submission file(s); returns their paths."""
        settings = self.settings
        files = {}
        descriptions = label_descriptions(self.task, settings.data_dir) if self.task.label_desc_field else {}
        for test_file, submission in self.task.test_files.items():
            if submission is None:
                submission = self.task.submission_file
            if test_file not in self.examples:
                continue  # optional test files (TNEWS's test1.0.json) that are not there
            examples, features = self._features(test_file, labelled=False)
            probabilities = self._probabilities(features, settings.predict_batch_size)
            files.update(prediction_files(self.task, examples, probabilities, test_file, submission, descriptions))
        return write_prediction_set(settings.output_dir, files, settings.submission_zip)

    def _probabilities(self, features, batch_size: int) -> np.ndarray:
        """Class probabilities in the order of `features` (batches come sorted by length)."""
        data, order = evaluation_dataset(features, batch_size, self.settings.bucket_by_length,
                                         self.settings.max_seq_length, self._any_length)
        logits = self._logits(data.map(lambda x, y: x))
        probabilities = np.empty(logits.shape, np.float32)
        probabilities[order] = softmax(logits)
        return probabilities

    @property
    def _any_length(self) -> bool:
        """Evaluation batches may take any length (cut to their longest row): not under XLA or
        on TPUs, which compile one program per shape."""
        return not (self.settings.use_xla or isinstance(self.strategy, tf.distribute.TPUStrategy))

    def _logits(self, batches: tf.data.Dataset) -> np.ndarray:
        """The model's logits for every batch: one compiled call a batch on a single replica
        (Keras's predict deletes its distributed iterator at the end, which stalled for seconds
        in one call of three on TensorFlow 2.20), Keras's predict across replicas."""
        if self.strategy.num_replicas_in_sync > 1:
            return self.model.predict(batches, verbose=0)
        if self._predict_step is None:
            model = self.model
            self._predict_step = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                                             jit_compile=bool(self.settings.use_xla))
        return np.concatenate([self._predict_step(x).numpy() for x in batches])


def run_classifier(settings: ClassifierSettings) -> dict:
    if settings.export_saved_model:  # a bad export folder is reported before training, not after
        from clue_tf.serving.export import ExportSettings

        ExportSettings(export_dir=settings.export_saved_model, max_seq_length=settings.max_seq_length).check(
            folder_flag="export_saved_model")
    with output_lock(settings.output_dir, "run_classifier"):
        run = ClassifierRun(settings)
        results = {}
        if settings.do_train:
            results["train"] = run.train()
        if settings.do_eval:
            results["eval"] = run.evaluate()
        if settings.do_predict:
            results["predict"] = run.predict()
        if settings.export_saved_model:
            results["export"] = export_for_serving(settings)
    return results


def export_for_serving(settings: ClassifierSettings) -> str:
    """The SavedModel of the model run_classifier ends with: best_bundle after training,
    else the given bundle (which must carry a trained head)."""
    from clue_tf.serving.export import ExportSettings, export_saved_model
    from clue_tf.tasks.served import for_task

    trained = os.path.join(settings.output_dir, "best_bundle")
    export_saved_model(for_task(ExportSettings(
        export_dir=settings.export_saved_model, bundle_dir=trained if settings.do_train else settings.bundle_dir,
        bert_config_file=None if settings.do_train else settings.bert_config_file,
        vocab_file=None if settings.do_train else settings.vocab_file,
        init_checkpoint=None if settings.do_train else settings.init_checkpoint,
        do_lower_case=settings.do_lower_case, max_seq_length=settings.max_seq_length,
        allow_unused_weights=settings.allow_unused_weights), settings.task_name))
    return settings.export_saved_model
