"""HF-format weight files: `model.safetensors` (sharded too), `pytorch_model.bin`, and
Google's mesh-TF T5 checkpoints, read into and written from our seq2seq models.

safetensors needs no torch. `pytorch_model.bin` needs the optional torch extra and is
read with `weights_only=True`, never as a plain pickle.
"""

import json
import logging
import os
from typing import Optional

import numpy as np

from clue_tf.checkpoints.bundle import LoadReport, open_checkpoint
from clue_tf.checkpoints.seq2seq_names import MESH_SKIPPED_SUFFIXES, WeightRow
from clue_tf.errors import CheckpointError

logger = logging.getLogger(__name__)

SAFETENSORS_NAME = "model.safetensors"
SAFETENSORS_INDEX_NAME = "model.safetensors.index.json"
PYTORCH_NAME = "pytorch_model.bin"


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """All tensors of one .safetensors file as float32/int numpy arrays."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="numpy") as f:
            return {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read safetensors file ({e}); is it truncated?") from None


def read_sharded_safetensors(index_path: str) -> dict[str, np.ndarray]:
    with open(index_path, encoding="utf-8") as f:
        weight_map = json.load(f)["weight_map"]
    folder = os.path.dirname(index_path)
    state = {}
    for shard in sorted(set(weight_map.values())):
        state.update(read_safetensors(os.path.join(folder, shard)))
    return state


def read_pytorch_bin(path: str) -> dict[str, np.ndarray]:
    """A torch state dict, loaded with weights_only=True (no arbitrary unpickling)."""
    try:
        import torch
    except ImportError:
        raise CheckpointError(f"{path}: reading pytorch_model.bin needs torch "
                              "(pip install 'clue-tf[torch]'), or convert it to model.safetensors") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for bad files
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: cannot read PyTorch weights ({first})") from None
    return {name: tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
            for name, tensor in state.items()}


def read_mesh_checkpoint(prefix: str, rows: list[WeightRow]) -> dict[str, np.ndarray]:
    """Google's mesh-TF T5 checkpoint, renamed to HF names and HF layouts (slots skipped)."""
    reader = open_checkpoint(prefix)
    names = set(reader.get_variable_to_shape_map())
    state = {}
    for row in rows:
        if row.mesh_name in names:
            value = reader.get_tensor(row.mesh_name)
            # mesh layout -> keras -> HF layout, through shapes the two layouts agree on
            keras_value = row.mesh_layout.to_keras(value, _keras_shape(row, value))
            state[row.hf_name] = row.hf_layout.to_external(keras_value)
    known = {row.mesh_name for row in rows} | {"global_step"}
    unknown = sorted(n for n in names - known if not n.endswith(MESH_SKIPPED_SUFFIXES))
    if unknown:
        raise CheckpointError(f"{prefix}: variables not in a T5 v1.1 model of this depth: "
                              f"{', '.join(unknown[:5])}")
    return state


def _keras_shape(row: WeightRow, mesh_value: np.ndarray) -> tuple:
    # Every mesh-TF T5 weight is 1- or 2-D and laid out as Keras except transposed rows.
    return mesh_value.shape[::-1] if row.mesh_layout.kind == "transpose" else mesh_value.shape


def load_state(lm, state: dict[str, np.ndarray], rows: list[WeightRow], source: str,
               aliases: Optional[dict[str, str]] = None) -> LoadReport:
    """Assigns `state` to `lm` by the rows, strictly: a missing, misshapen or unknown
    weight is an error naming it; tied copies in `aliases` must equal their original."""
    aliases = aliases or {}
    for alias, original in aliases.items():
        if alias in state and original in state and not np.array_equal(state[alias], state[original]):
            raise CheckpointError(f"{source}: {alias} differs from {original}; this model shares "
                                  "one token embedding between them")
    report = LoadReport()
    known = {row.hf_name for row in rows}
    unknown = sorted(set(state) - known - set(aliases))
    if unknown:
        raise CheckpointError(f"{source}: weights not in this model's config: {', '.join(unknown[:5])}"
                              + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""))
    for row in rows:
        variable = row.variable(lm)
        keras_shape = tuple(variable.shape)
        expected = row.hf_layout.external_shape_of(keras_shape)
        if row.hf_name not in state:
            if row.optional:
                report.left_initial.append(row.hf_name)
                continue
            raise CheckpointError(f"{source}: weight {row.hf_name} is missing")
        value = state[row.hf_name]
        if tuple(value.shape) != expected:
            raise CheckpointError(f"{source}: weight {row.hf_name} has shape {list(value.shape)}, "
                                  f"config expects {list(expected)}")
        variable.assign(row.hf_layout.to_keras(value, keras_shape).astype(variable.dtype))
        report.loaded.append(row.hf_name)
    return report


def model_state(lm, rows: list[WeightRow]) -> dict[str, np.ndarray]:
    """Our weights as an HF state dict (torch layouts, float32, contiguous)."""
    return {row.hf_name: np.ascontiguousarray(row.hf_layout.to_external(np.asarray(row.variable(lm).numpy())),
                                              dtype=np.float32)
            for row in rows}


def write_safetensors(state: dict[str, np.ndarray], path: str) -> None:
    """Writes an HF-loadable model.safetensors (metadata format=pt)."""
    from safetensors.numpy import save_file

    save_file(state, path, metadata={"format": "pt"})
