"""Pretraining (BERT masked LM + NSP, T5 span corruption, Pegasus GSG) under any
tf.distribute strategy, with exact resume.

The loop is a `tf.function` around `strategy.run`, the same for one device, mirrored
GPUs, multi-worker and TPU (Keras 3's `fit` on TPU with the TF backend has open issues,
keras-team/keras#18422 and #19448). Losses and metrics are Google's run_pretraining.py
ones (see `objectives.py`). Resume is exact: the input stream is a deterministic function of the seed (masks
drawn with stateless ops keyed on the batch number), so a restored run skips to the
restored step and sees the very batches the interrupted run would have seen.
"""

import contextlib
import glob
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from clue_tf.checkpoints import folders
from clue_tf.data.tfrecords import check_record_files
from clue_tf.errors import CheckpointError, ClueTfError
from clue_tf.data.record_counts import instances_in, record_files
from clue_tf.io.outputs import output_lock, raise_disk_full
from clue_tf.progress import Progress
from clue_tf.training.objectives import export_path, objective_for
from clue_tf.training.optimization import make_optimizer
from clue_tf.training.settings import TrainingSettings
from clue_tf.training.strategy import check_float16_replicas, is_chief_process, make_strategy

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class PretrainingSettings(TrainingSettings):
    """What run_pretraining needs beyond every run's settings; names follow Google's flags."""

    input_file: str
    bert_config_file: str  # the model's config (any family); required here
    max_predictions_per_seq: int = 20
    num_train_steps: int = 100000
    num_warmup_steps: int = 10000
    save_checkpoints_steps: int = 1000
    iterations_per_loop: int = 1000
    max_eval_steps: int = 100
    keep_checkpoints: int = 3
    do_train: bool = True  # Google's run_pretraining trains unless told otherwise
    use_tpu: bool = False
    tpu_name: Optional[str] = None
    tpu_zone: Optional[str] = None
    gcp_project: Optional[str] = None
    dynamic_masking: bool = False
    nsp: bool = True
    sentence_order: bool = False  # the pair head learns ALBERT's sentence order (records say so)
    deterministic: bool = False
    export_bundle: bool = True
    model_family: Optional[str] = None  # checked against the config's family when given
    max_target_length: int = 64

    def check(self) -> None:
        """Counts and sizes that must be positive, named by their flag before anything is built."""
        super().check()
        self.require_at_least(max_predictions_per_seq=1, save_checkpoints_steps=1, iterations_per_loop=1,
                              max_eval_steps=1, num_warmup_steps=0)
        if self.do_train:
            self.require_at_least(num_train_steps=1)


def make_dataset(settings: PretrainingSettings, objective, batch_size: int, training: bool,
                 skip_batches: int = 0) -> tf.data.Dataset:
    """Batches of parsed records; deterministic for the seed."""
    dataset = tf.data.TFRecordDataset(record_files(settings.input_file))
    if training:
        dataset = dataset.repeat().shuffle(10000, seed=settings.seed, reshuffle_each_iteration=True)
    dataset = objective.parse(dataset.batch(batch_size, drop_remainder=True))
    # Workers split each global batch (as replicas do) rather than the files: any number of
    # files works, and the batches are one device's batches.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.skip(skip_batches).prefetch(tf.data.AUTOTUNE).with_options(options)


class Pretrainer:
    """Builds model, optimizer, data and checkpointing for one run; `train()` / `evaluate()`."""

    def __init__(self, settings: PretrainingSettings):
        from clue_tf.tokenization.vocab import load_vocab

        self.settings = settings
        settings.check()
        if settings.deterministic:
            tf.config.experimental.enable_op_determinism()
        keras.utils.set_random_seed(settings.seed)
        keras.mixed_precision.set_global_policy(settings.mixed_precision)
        self.strategy = make_strategy(settings.strategy, settings.tpu_name, settings.tpu_zone, settings.gcp_project,
                                      settings.use_tpu)
        check_float16_replicas(settings.mixed_precision, self.strategy)
        self.vocab = load_vocab(settings.vocab_file) if settings.vocab_file else None
        self.files = folders.locate(config_file=settings.bert_config_file, vocab_file=settings.vocab_file,
                                    weights=settings.init_checkpoint, family=settings.model_family, need_weights=False)
        self.family = self.files.family
        opened = folders.open_weights(self.files) if settings.init_checkpoint else None
        # the checkpoint decides table sizes its config may misstate
        self.config = folders.read_config(self.files, *(opened[0].shapes, opened[1]) if opened else ())
        self.config = self.family.pretraining_config(self.config)
        self.objective = objective_for(self.family, settings, self.config, self.vocab)
        check_positions(self.family.max_positions(self.config), self.objective.record_lengths(),
                        settings.bert_config_file)
        check_record_files(record_files(settings.input_file), self.objective.record_lengths())
        self.record_instances = instances_in(record_files(settings.input_file))
        if self.vocab is not None and len(self.vocab) != self.objective.vocab_size:
            raise ClueTfError(f"{settings.vocab_file}: {len(self.vocab)} lines, but {settings.bert_config_file} "
                              f"has vocab_size {self.objective.vocab_size}")
        with self.strategy.scope():
            self.model = self.objective.build_model()
            if settings.recompute_grad:
                from clue_tf.models.recompute import recompute_transformer_layers

                recompute_transformer_layers(self.model)
            self.optimizer = make_optimizer(settings.optimizer, settings.learning_rate, settings.num_train_steps,
                                            settings.num_warmup_steps)
            if settings.mixed_precision == "mixed_float16":  # dynamic loss scaling, as Keras's fit does
                self.optimizer = keras.optimizers.LossScaleOptimizer(self.optimizer)
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
        self.init_report = None
        if settings.init_checkpoint:
            self.init_report = folders.fill(self.model, self.files, self.config, settings.allow_unused_weights, opened)
        # The dropout and sampler RNG states go in too, so a resumed run draws what it would have drawn.
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step,
                                              rng=random_states(self.model),
                                              objective_rng=self.objective.random_states())
        checkpoint_dir = os.path.join(settings.output_dir, "checkpoints")
        self.chief = is_chief_process()
        if self.chief:
            remove_partial_checkpoints(checkpoint_dir)
            save_dir = checkpoint_dir
        else:  # other workers save too (the saves are collective) into a folder of their own, then drop it
            save_dir = tempfile.mkdtemp(prefix="clue-tf-worker-checkpoints-")
        self.manager = tf.train.CheckpointManager(self.checkpoint, save_dir, max_to_keep=settings.keep_checkpoints,
                                                  step_counter=self.step)
        latest = tf.train.latest_checkpoint(checkpoint_dir)  # every worker resumes from the chief's
        if latest:
            self._resume(latest)

    def _resume(self, path: str) -> None:
        """Continues from the output folder's last checkpoint, which must be this model's."""
        try:
            self.checkpoint.restore(path).assert_existing_objects_matched()
        except (ValueError, AssertionError) as e:
            first = str(e).strip().splitlines()[0][:300]
            raise CheckpointError(f"{path}: the checkpoint to resume from is another model's ({first}); "
                                  "use the config it was trained with, or another --output_dir") from None
        except (tf.errors.OpError, IndexError) as e:  # TF reads a truncated .data as IndexError
            first = (getattr(e, "message", None) or str(e)).strip().splitlines()[0][:300]
            raise CheckpointError(f"{path}: the checkpoint to resume from cannot be read ({first}); "
                                  "remove it to resume from the one before, or use another --output_dir") from None
        logger.info("resumed from %s at step %d", path, int(self.step.numpy()))

    def _dataset(self, training: bool):
        batch = self.settings.train_batch_size if training else self.settings.eval_batch_size
        skip = int(self.step.numpy()) if training else 0
        dataset = make_dataset(self.settings, self.objective, batch, training, skip_batches=skip)
        return self.strategy.experimental_distribute_dataset(dataset), batch

    def _replica_step(self, features, global_batch, training):
        context = tf.distribute.get_replica_context()
        global_weight = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                           self.objective.prediction_weight(features))
        compute = self._losses_and_gradients
        if self.settings.use_xla and self.strategy.num_replicas_in_sync > 1:
            # Made here, so each replica traces its own copy over its own variables; the
            # all-reduce and the update stay outside (XLA cannot reach other devices' copies).
            compute = tf.function(compute, jit_compile=True)
        losses, gradients = compute(features, global_batch, global_weight, training)
        if training:
            # each replica's share; the optimizer sums them (the one all-reduce) and clips the sum
            self.optimizer.apply_gradients(zip(gradients, self.model.trainable_variables))
        return losses

    def _losses_and_gradients(self, features, global_batch, global_weight, training):
        with tf.GradientTape() as tape:
            losses = self.objective.losses(self.model, features, global_batch, global_weight, training)
            scaled = self.optimizer.scale_loss(losses["loss"])  # the loss scale under mixed_float16
        gradients = tape.gradient(scaled, self.model.trainable_variables) if training else []
        return losses, gradients

    def train(self) -> dict:
        """Trains to num_train_steps, checkpointing and logging; returns the last step's metrics."""
        settings = self.settings
        iterator_source, global_batch = self._dataset(training=True)
        iterator = iter(iterator_source)
        writer = tf.summary.create_file_writer(os.path.join(settings.output_dir, "train")) if self.chief\
            else tf.summary.create_noop_writer()

        one_replica = self.strategy.num_replicas_in_sync == 1
        # one replica: the whole step, update included, is one XLA program
        replica_step = tf.function(self._replica_step, jit_compile=True) if settings.use_xla and one_replica\
            else self._replica_step

        def one_step():
            per_replica = self.strategy.run(replica_step, (next(iterator), global_batch, True))
            self.step.assign_add(1)
            return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                    for k, v in per_replica.items()}

        @tf.function
        def train_steps(n):
            metrics = one_step()
            for _ in tf.range(n - 1):  # several steps per call, as Google's iterations_per_loop
                metrics = one_step()
            return metrics

        start = int(self.step.numpy())
        progress = Progress(settings.num_train_steps, unit_name="step")
        progress.update(start)
        metrics = {}
        self.history = []  # (step, metrics) after each call of train_steps
        while int(self.step.numpy()) < settings.num_train_steps:
            done = int(self.step.numpy())
            until = min(settings.num_train_steps,
                        (done // settings.save_checkpoints_steps + 1) * settings.save_checkpoints_steps)
            n = max(1, min(settings.iterations_per_loop, until - done))
            result = train_steps(tf.constant(n))
            metrics = {k: float(v.numpy()) for k, v in result.items()}
            step = int(self.step.numpy())
            self.history.append((step, metrics))
            with writer.as_default(step=step):
                for name, value in metrics.items():
                    tf.summary.scalar(name, value)
                tf.summary.scalar("learning_rate", float(np.asarray(self.optimizer.learning_rate)))
            progress.update(step, metrics.items())
            if step % settings.save_checkpoints_steps == 0 or step == settings.num_train_steps:
                self._save_checkpoint(step)
        writer.flush()
        if not self.chief:
            shutil.rmtree(self.manager.directory, ignore_errors=True)
        return metrics

    def _save_checkpoint(self, step: int) -> None:
        """A checkpoint that cannot be written for a full disk is one line; the earlier ones stay."""
        try:
            self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as e:
            remove_partial_checkpoints(self.manager.directory)
            raise_disk_full(e, os.path.join(self.manager.directory, f"ckpt-{step}"))
            raise

    def evaluate(self) -> dict:
        """Google's eval metrics over at most max_eval_steps batches; writes eval_results.txt."""
        dataset, batch = self._dataset(training=False)

        @tf.function
        def eval_step(features):
            per_replica = self.strategy.run(self._replica_step, (features, batch, False))
            return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                    for k, v in per_replica.items()}

        totals, count = {}, 0
        for features in dataset:
            if count >= self.settings.max_eval_steps:
                break
            for k, v in eval_step(features).items():
                totals[k] = totals.get(k, 0.0) + float(v.numpy())
            count += 1
        results = {k: v / max(count, 1) for k, v in totals.items()}
        results["global_step"] = int(self.step.numpy())
        from clue_tf.io.outputs import atomic_write

        if self.chief:
            with atomic_write(os.path.join(self.settings.output_dir, "eval_results.txt")) as f:
                for key in sorted(results):
                    f.write(f"{key} = {results[key]}\n")
        return results

    def export_bundle(self, bundle_dir: Optional[str] = None) -> Optional[str]:
        """Writes the model as an original bundle / HF model folder; without --vocab_file
        (Google's flags have none) the weights and config only, and a warning says so."""
        bundle_dir = export_path(self.settings.output_dir, bundle_dir)
        if not self.chief:
            return None  # the chief writes the one bundle
        if self.vocab is None:
            logger.warning("no --vocab_file: %s gets the weights and config but no vocab.txt; copy the vocab "
                           "the records were made with beside them", bundle_dir)
        folders.write(bundle_dir, self.model, self.family, self.config, self.settings.vocab_file,
                      self.family.native_format, require_vocab=False)
        return bundle_dir


def remove_partial_checkpoints(checkpoint_dir: str) -> None:
    """Removes the `ckpt-N_temp` folders a killed run left (the output lock says none is running)."""
    for partial in glob.glob(os.path.join(checkpoint_dir, "*_temp*")):
        if os.path.isdir(partial):
            shutil.rmtree(partial, ignore_errors=True)
        else:
            os.unlink(partial)


def random_states(model) -> list:
    """The state variables of the model's Keras seed generators (dropout), in a fixed order."""
    return [v.value for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def check_positions(limit: Optional[int], lengths: dict, config_file: str) -> None:
    """Sequence-length flags above the model's position table are one error before any work."""
    for feature in ("input_ids", "target_ids"):
        flag, value = lengths.get(feature, (None, 0))
        if limit is not None and value > limit:
            raise ClueTfError(f"--{flag}={value}: above the model's {limit} positions "
                              f"(max_position_embeddings in {config_file})")


def require_action(do_train: bool, do_eval: bool) -> None:
    """Google's run_pretraining.py refuses to run with neither --do_train nor --do_eval; so do we."""
    if not (do_train or do_eval):
        raise ClueTfError("nothing to do: set --do_train and/or --do_eval (as Google's run_pretraining.py)")


def run_pretraining(settings: PretrainingSettings) -> dict:
    """Train and/or evaluate as Google's run_pretraining.py; export a bundle after training."""
    require_action(settings.do_train, settings.do_eval)
    # the chief holds the output folder; the other workers of a multi-worker run write nothing there
    lock = output_lock(settings.output_dir, "run_pretraining") if is_chief_process() else contextlib.nullcontext()
    with lock:
        trainer = Pretrainer(settings)  # checks every input before anything is written
        results = {}
        if settings.do_train and trainer.record_instances:
            epochs = settings.num_train_steps * settings.train_batch_size / trainer.record_instances
            results["data"] = {"instances": trainer.record_instances, "epochs": epochs}
            logger.info("%d instances in the records (their counts file): %d steps x %d = %.2f epochs",
                        trainer.record_instances, settings.num_train_steps, settings.train_batch_size, epochs)
        if settings.do_train:
            results["train"] = trainer.train()
            if settings.export_bundle:
                results["bundle"] = trainer.export_bundle()
        if settings.do_eval:
            results["eval"] = trainer.evaluate()
    return results


def weights_digest(model) -> np.ndarray:
    """All trainable weights flattened into one array (to compare runs)."""
    return np.concatenate([np.ravel(np.asarray(w)) for w in model.trainable_variables])
