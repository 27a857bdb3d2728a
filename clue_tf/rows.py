"""One weight-row type and one strict walker, for every family and every format.

A row names one weight as a format spells it (Google's TF1 name, HF's state-dict key, UER's
key, a mesh-TF name), says where our Keras variable is, and how the values are laid out
outside. `load_rows` walks the rows to fill a model and `dump_rows` walks the same rows to
write one, so reading and writing cannot drift apart. Loading is strict both ways: a
missing or misshapen weight is an error, and so is a source weight no row uses, unless it is
training state (optimizer slots, step counters) or belongs to a head the model was not
built with.
"""

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Union

import numpy as np

from clue_tf.errors import CheckpointError


@dataclass(frozen=True)
class Layout:
    """How an external array relates to our Keras one.

    inputs: None keeps the shape; k >= 1 flattens to 2-D with the first k axes as rows
    (per-head attention kernels), 0 flattens to 1-D. transpose: the 2-D result is stored
    transposed (torch Linear [out, in], Google's output_weights). external_shape: a final
    reshape (Pegasus' final_logits_bias [1, V]). pad_rows: zero rows stored in front (UER's
    segment table keeps row 0 for padding). permute: our last axis is the external one in
    this order (RoFormer's interleaved rotary pairs, de-interleaved for keras-hub's
    RotaryEmbedding).
    """

    inputs: Optional[int] = None
    transpose: bool = False
    external_shape: Optional[tuple] = None
    pad_rows: int = 0
    permute: Optional[tuple] = None

    def to_external(self, value: np.ndarray) -> np.ndarray:
        if self.permute is not None:
            value = value[..., np.argsort(self.permute)]
        if self.inputs is not None:
            rows = int(np.prod(value.shape[: self.inputs])) if self.inputs else -1
            value = np.reshape(value, (rows, -1) if self.inputs else (-1,))
        if self.transpose:
            value = value.T
        if self.external_shape is not None:
            value = np.reshape(value, self.external_shape)
        if self.pad_rows:
            value = np.concatenate([np.zeros((self.pad_rows, *value.shape[1:]), value.dtype), value])
        return value

    def to_keras(self, value: np.ndarray, keras_shape: tuple) -> np.ndarray:
        if self.pad_rows:
            value = value[self.pad_rows:]
        if self.transpose:
            value = np.reshape(value, (value.shape[0], -1)).T
        value = np.reshape(value, keras_shape)
        return value[..., list(self.permute)] if self.permute is not None else value

    def external_shape_of(self, keras_shape: tuple) -> tuple:
        return tuple(self.to_external(np.zeros(keras_shape, dtype=np.int8)).shape)


COPY = Layout()
LINEAR = Layout(inputs=1, transpose=True)  # a torch Linear weight of a Keras kernel
TRANSPOSED = Layout(transpose=True)  # Google's output_weights [out, in]
# keras-hub's attention keeps per-head kernels; checkpoints store them flat.
HEADS_IN = Layout(inputs=1)  # [H, heads, head_dim] -> [H, heads*head_dim]
HEADS_BIAS = Layout(inputs=0)  # [heads, head_dim] -> [heads*head_dim]
HEADS_OUT = Layout(inputs=2)  # [heads, head_dim, H] -> [heads*head_dim, H]
HF_HEADS_IN = Layout(inputs=1, transpose=True)  # ... as torch Linear weights
HF_HEADS_OUT = Layout(inputs=2, transpose=True)


@dataclass(frozen=True)
class Row:
    """One weight: its external name, our variable (a weight path or a getter), its layout.

    head: None for the backbone, else the head the weight belongs to; a head is loaded
    whole or not at all. optional: a backbone weight real releases may lack (the pooler).
    """

    name: str
    keras: Union[str, Callable]
    layout: Layout = COPY
    head: Optional[str] = None
    optional: bool = False

    def variable(self, model, by_path: dict):
        """Our variable for this row, or None when the model was built without it."""
        if isinstance(self.keras, str):
            return by_path.get(self.keras)
        try:
            return self.keras(model)
        except (AttributeError, IndexError, KeyError):
            return None


class FixedTable:
    """A table the model computes instead of storing (RoFormer's sinusoids, which HF saves as
    `embed_positions.weight`): loading checks the file's copy equals it, writing writes it."""

    def __init__(self, path: str, value: np.ndarray, where: str):
        self.path, self.value, self.where = path, np.asarray(value, np.float32), where
        self.shape, self.dtype = self.value.shape, "float32"

    def numpy(self) -> np.ndarray:
        return self.value

    def assign(self, value: np.ndarray) -> None:
        if not np.allclose(value, self.value, atol=1e-5):
            raise CheckpointError(f"{self.path}: differs from the {self.where} this model computes "
                                  f"(largest difference {np.abs(value - self.value).max():.3g})")


# Checkpoint entries that are never model weights: optimizer slots, step counters, HF buffers.
_TRAINING_STATE = re.compile(
    r"(^global_step$|/adam_[mv]$|/Adam(_1)?$|AdamWeightDecayOptimizer|/lamb_[mv]$|/LAMB(_1)?$"
    r"|_slot_v[rc]?$|(^|\.)position_ids$|(^|[./])_CHECKPOINTABLE_OBJECT_GRAPH$)")


def is_training_state(name: str) -> bool:
    """Optimizer slots, step counters and HF's position_ids buffer: carried, never used."""
    return bool(_TRAINING_STATE.search(name))


class WeightSource:
    """Named arrays to load from: a TF1 checkpoint, a state dict, an h5 file."""

    def __init__(self, shapes: dict[str, tuple], get: Callable[[str], np.ndarray], where: str):
        self.shapes, self._get, self.where = shapes, get, where

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], where: str) -> "WeightSource":
        return cls({k: tuple(v.shape) for k, v in state.items()}, state.__getitem__, where)

    def get(self, name: str) -> np.ndarray:
        return self._get(name)


@dataclass
class LoadReport:
    """What a load filled, what it left at initial values, and which heads it lacks."""

    loaded: list[str] = field(default_factory=list)
    left_initial: list[str] = field(default_factory=list)
    initial_heads: set[str] = field(default_factory=set)
    initial_paths: set[str] = field(default_factory=set)  # our variables not loaded
    unused: list[str] = field(default_factory=list)  # accepted knowingly (allow_unused)

    def summary(self) -> str:
        text = f"loaded {len(self.loaded)} weights"
        if self.left_initial:
            text += f"; not in the checkpoint, left at initial values: {', '.join(self.left_initial)}"
        if self.unused:
            text += f"; unused: {_some(self.unused)}"
        return text


def _some(names: list[str], limit: int = 5) -> str:
    more = f" (and {len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def load_rows(model, source: WeightSource, rows: Iterable[Row], aliases: Optional[dict] = None,
              allow_unused: bool = False, describe: str = "this model") -> LoadReport:
    """Fills `model` from `source` by `rows`, strictly; returns what was loaded.

    `aliases` maps tied copies (HF's decoder weight) to the weight they repeat: they must be
    equal to it. Every other source name must be used by a row, be training state, or
    belong to a head the model was built without; else it is an error listing the unused
    names (`allow_unused` accepts them, and the report names them).
    """
    rows = list(rows)
    aliases = aliases or {}
    by_path = {w.path: w for w in model.weights}
    names = source.shapes
    for alias, original in aliases.items():
        if alias in names and original in names and not np.array_equal(source.get(alias), source.get(original)):
            raise CheckpointError(f"{source.where}: {alias} differs from {original}; this model "
                                  "shares one weight between them")
    variables = [(row, row.variable(model, by_path)) for row in rows]
    # Known: what the model has, and heads it was built without; never backbone rows it lacks.
    known = {row.name for row, var in variables if var is not None or row.head} | set(aliases)
    unused = sorted(n for n in names if n not in known and not is_training_state(n))
    if unused and not allow_unused:
        raise CheckpointError(f"{source.where}: weights that {describe} does not have: {_some(unused)}; "
                              "is the config right? (--allow_unused_weights loads anyway)")
    report = LoadReport(unused=unused)
    built = [(row, var) for row, var in variables if var is not None]
    heads: dict[str, list] = {}
    for row, var in built:
        if row.head:
            heads.setdefault(row.head, []).append(row)
    for head, head_rows in heads.items():
        present = [r.name for r in head_rows if r.name in names]
        if not present:
            report.initial_heads.add(head)
        elif len(present) < len(head_rows):
            missing = [r.name for r in head_rows if r.name not in names]
            raise CheckpointError(f"{source.where}: the {head} head is incomplete: {_some(missing)} missing")
    for row, var in built:
        if row.name not in names:
            if row.optional or row.head in report.initial_heads:
                report.left_initial.append(row.name)
                report.initial_paths.add(var.path)
                continue
            raise CheckpointError(f"{source.where}: weight {row.name} is missing")
        keras_shape = tuple(var.shape)
        expected = row.layout.external_shape_of(keras_shape)
        found = tuple(names[row.name])
        if found != expected:
            raise CheckpointError(f"{source.where}: weight {row.name} has shape {list(found)}, "
                                  f"config expects {list(expected)}")
        var.assign(row.layout.to_keras(np.asarray(source.get(row.name)), keras_shape).astype(var.dtype))
        report.loaded.append(row.name)
    return report


def dump_rows(model, rows: Iterable[Row], skip_paths: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Our weights as {external name: float32 array}, for the rows the model has, minus the
    variables in `skip_paths` (heads that were never loaded or trained)."""
    by_path = {w.path: w for w in model.weights}
    skip = set(skip_paths)
    state = {}
    for row in rows:
        var = row.variable(model, by_path)
        if var is None or var.path in skip:
            continue
        value = np.asarray(var.numpy(), dtype=np.float32)
        state[row.name] = np.ascontiguousarray(row.layout.to_external(value))
    return state
