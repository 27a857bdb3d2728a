"""Original BERT checkpoints (`bert_model.ckpt.{index,data-*}`): reading into our models, writing back."""

import glob
import logging
import os
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from clue_tf.checkpoints.bert_names import NameMapping, encoder_mappings
from clue_tf.errors import CheckpointError

logger = logging.getLogger(__name__)


def resolve_checkpoint_prefix(path: str) -> str:
    """The checkpoint prefix for a prefix, a prefix + '.index', or a folder holding one."""
    path = os.fspath(path)
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if os.path.isdir(path):
        indexes = sorted(glob.glob(os.path.join(path, "*.index")))
        if len(indexes) != 1:
            raise CheckpointError(
                f"{path}: expected one checkpoint (*.index) in the folder, found {len(indexes)}")
        path = indexes[0][: -len(".index")]
    if not os.path.exists(path + ".index"):
        raise CheckpointError(f"{path}.index: checkpoint index not found")
    return path


def open_checkpoint(path: str):
    """A reader (tf.train.load_checkpoint) for the checkpoint at `path`, or a one-line error."""
    prefix = resolve_checkpoint_prefix(path)
    try:
        return tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as e:
        message = getattr(e, "message", str(e)).splitlines()[0]
        raise CheckpointError(f"{prefix}: cannot read checkpoint ({message})") from None


@dataclass
class LoadReport:
    """What a load filled from the checkpoint and what it left at initial values."""

    loaded: list[str] = field(default_factory=list)
    left_initial: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.left_initial:
            return f"loaded {len(self.loaded)} variables"
        return (f"loaded {len(self.loaded)} variables; not in the checkpoint, left at initial "
                f"values: {', '.join(self.left_initial)}")


def load_weights(model, checkpoint: str, mappings: list[NameMapping]) -> LoadReport:
    """Fills `model`'s weights from a TF1 checkpoint by the mapping table, strictly.

    A missing required variable, or one whose shape differs from what the model expects,
    is an error naming the variable and both shapes; optional ones are reported.
    """
    reader = open_checkpoint(checkpoint)
    prefix = resolve_checkpoint_prefix(checkpoint)
    shapes = reader.get_variable_to_shape_map()
    weights = {w.path: w for w in model.weights}
    report = LoadReport()
    for row in mappings:
        weight = weights.get(row.keras_path)
        if weight is None:
            raise AssertionError(f"model has no weight {row.keras_path} (mapping table out of date)")
        expected = row.tf1_shape(tuple(weight.shape))
        if row.tf1_name not in shapes:
            if row.optional:
                report.left_initial.append(row.tf1_name)
                continue
            raise CheckpointError(f"{prefix}: variable {row.tf1_name} is missing")
        found = tuple(shapes[row.tf1_name])
        if found != expected:
            raise CheckpointError(
                f"{prefix}: variable {row.tf1_name} has shape {list(found)}, "
                f"config expects {list(expected)}")
        try:
            value = reader.get_tensor(row.tf1_name)
        except (tf.errors.OpError, IndexError) as e:
            message = getattr(e, "message", str(e)).splitlines()[0]
            raise CheckpointError(
                f"{prefix}: cannot read variable {row.tf1_name} ({message}); "
                "is the .data file truncated?") from None
        weight.assign(row.to_keras(value, tuple(weight.shape)).astype(weight.dtype))
        report.loaded.append(row.tf1_name)
    return report


def write_checkpoint(model, prefix: str, mappings: list[NameMapping]) -> None:
    """Writes `model`'s weights as a TF1 name-based checkpoint (prefix.index + .data-*).

    The names, float32 dtypes and shapes are Google's, so `tf.compat.v1.train.Saver`
    in Google's code restores it. Rows whose weight the model lacks (a head it does not
    have) are skipped.
    """
    weights = {w.path: w for w in model.weights}
    names, tensors = [], []
    for row in mappings:
        if row.keras_path in weights:
            names.append(row.tf1_name)
            tensors.append(tf.constant(row.to_tf1(np.asarray(weights[row.keras_path].numpy()))))
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=tensors)


def load_encoder_checkpoint(encoder, checkpoint: str) -> LoadReport:
    """Loads a BertEncoder from an original checkpoint (optimizer slots are ignored)."""
    report = load_weights(encoder, checkpoint, encoder_mappings(encoder.num_layers))
    logger.info("%s: %s", checkpoint, report.summary())
    return report
