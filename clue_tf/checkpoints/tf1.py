"""TF1 name-based checkpoints (`*.ckpt.index` + `.data-*`): Google's BERT bundles and mesh-TF.

Reading gives a `WeightSource` over the checkpoint (tensors are read on demand); writing
saves named float32 arrays with SaveV2, which `tf.compat.v1.train.Saver` restores.
"""

import glob
import os

import numpy as np
import tensorflow as tf

from clue_tf.rows import WeightSource
from clue_tf.errors import CheckpointError


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


def checkpoint_source(path: str) -> WeightSource:
    """The variables of a TF1 checkpoint, read lazily, errors naming the variable."""
    prefix = resolve_checkpoint_prefix(path)
    reader = open_checkpoint(prefix)
    shapes = {name: tuple(shape) for name, shape in reader.get_variable_to_shape_map().items()}

    def get(name: str) -> np.ndarray:
        try:
            return reader.get_tensor(name)
        except (tf.errors.OpError, IndexError) as e:
            message = getattr(e, "message", str(e)).splitlines()[0]
            cause = ("its .data file does not belong to its .index (they come from different checkpoints, "
                     "or the .data file was damaged)" if "Checksum does not match" in message
                     else "is the .data file truncated?")
            raise CheckpointError(f"{prefix}: cannot read variable {name} ({message}); {cause}") from None

    return WeightSource(shapes, get, prefix)


def write_checkpoint(state: dict[str, np.ndarray], prefix: str) -> None:
    """Writes named arrays as a TF1 name-based checkpoint (prefix.index + .data-*)."""
    names = list(state)
    tensors = [tf.constant(state[name]) for name in names]
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=tensors)
