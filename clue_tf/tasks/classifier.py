"""Fine-tuning, evaluating and predicting a CLUE task: the library side of run_classifier.

The model is Google's run_classifier model (pooled output, dropout, `output_weights` /
`output_bias`) on a bundle's encoder; inputs are Google's `[CLS] a [SEP] b [SEP]`
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
from clue_tf.io_utils import atomic_file_path, atomic_write, output_lock
from clue_tf.models.backbones import find_encoder
from clue_tf.tasks.classifier_checks import check_flags, read_inputs
from clue_tf.tasks.classifier_data import encoded_rows, featurize, make_dataset
from clue_tf.tasks.clue import get_task, label_descriptions, read_examples
from clue_tf.tasks.submission import prediction_files, write_prediction_set
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.training.optimization import make_optimizer
from clue_tf.training.strategy import check_float16_replicas, make_strategy

logger = logging.getLogger(__name__)


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
            self.loaded = folders.load(files, heads=("classifier",), num_labels=len(self.task.labels),
                                       allow_unused=s.allow_unused_weights)
        if not s.do_train and (s.do_eval or s.do_predict) and "classifier" in self.loaded.report.initial_heads:
            self.loaded = self._trained_bundle(files)
        limit = getattr(find_encoder(self.loaded.model, required=False), "max_sequence_length", None)
        if limit and s.max_seq_length > limit:
            raise ClueTfError(f"--max_seq_length={s.max_seq_length}: above the model's {limit} positions "
                              f"(max_position_embeddings)")
        self.model = self.loaded.model
        if s.tokenize_in_graph:
            from clue_tf.tokenization.bert_tokenizer import BertTokenizer

            self.tokenizer = BertTokenizer(self.loaded.vocab, do_lower_case=s.do_lower_case)
        else:
            self.tokenizer = FullTokenizer(self.loaded.vocab, do_lower_case=s.do_lower_case)
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
        folders.write(os.path.join(s.output_dir, "best_bundle"), self.model, self.loaded.family,
                      self.loaded.config, self.loaded.vocab_file, self.loaded.family.native_format)
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
    from clue_tf.tasks.served import for_task

    trained = os.path.join(s.output_dir, "best_bundle")
    export_saved_model(for_task(ExportSettings(
        export_dir=s.export_saved_model, bundle_dir=trained if s.do_train else s.bundle_dir,
        bert_config_file=None if s.do_train else s.bert_config_file,
        vocab_file=None if s.do_train else s.vocab_file, init_checkpoint=None if s.do_train else s.init_checkpoint,
        do_lower_case=s.do_lower_case, max_seq_length=s.max_seq_length,
        allow_unused_weights=s.allow_unused_weights), s.task_name))
    return s.export_saved_model
