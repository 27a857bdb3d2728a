"""Weight files in HF's (and UER's) formats: `model.safetensors` (sharded too),
`pytorch_model.bin` and UER-py's `*.bin`, and HF's TF2 `tf_model.h5`.

Every reader returns a state dict of numpy arrays under PyTorch names. safetensors and h5
need no torch; `.bin` files need the optional torch extra and are read with
`weights_only=True`, never as a plain pickle. `tf_model.h5` is read with h5py and renamed
by HF's own TF-to-PyTorch rule, so one PyTorch-named table serves all three.
"""

import json
import os
import re

import numpy as np

from clue_tf.errors import CheckpointError

SAFETENSORS_NAME = "model.safetensors"
SAFETENSORS_INDEX_NAME = "model.safetensors.index.json"
PYTORCH_NAME = "pytorch_model.bin"
TF_H5_NAME = "tf_model.h5"
WEIGHT_FILES = (SAFETENSORS_NAME, SAFETENSORS_INDEX_NAME, PYTORCH_NAME, TF_H5_NAME)


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """All tensors of one .safetensors file as numpy arrays."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="numpy") as f:
            return {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read safetensors file ({e}); is it truncated?") from None


def read_sharded_safetensors(index_path: str) -> dict[str, np.ndarray]:
    """Every shard an HF `model.safetensors.index.json` names."""
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{index_path}: not an HF shard index ({type(e).__name__}: {e})") from None
    folder = os.path.dirname(index_path)
    state = {}
    for shard in sorted(set(weight_map.values())):
        state.update(read_safetensors(os.path.join(folder, shard)))
    return state


def read_pytorch_bin(path: str) -> dict[str, np.ndarray]:
    """A torch state dict (HF or UER-py), loaded with weights_only=True."""
    try:
        import torch
    except ImportError:
        raise CheckpointError(f"{path}: reading a PyTorch .bin needs torch "
                              "(pip install 'clue-tf[torch]'), or convert it to model.safetensors") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for bad files
        if "Weights only load failed" in str(e):
            found = re.search(r"(?:GLOBAL|global:?) ([\w.]+)", str(e))
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(f"{path}: refused: the file holds Python objects{what} besides tensors, "
                                  "which could run code when loaded; clue-tf reads plain tensors only "
                                  "(re-save the weights as model.safetensors where you trust the file)") from None
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: cannot read PyTorch weights ({first})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return {name: tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
            for name, tensor in state.items()}


def tf_name_to_pytorch(tf_name: str) -> tuple[str, bool]:
    """HF's rule from a TF2 weight name to its PyTorch key, and whether to transpose
    (`bert/encoder/layer_._0/.../kernel:0` -> `bert.encoder.layer.0....weight`, transposed)."""
    name = tf_name.replace(":0", "")
    name = re.sub(r"/[^/]*___([^/]*)/", r"/\1/", name)
    name = re.sub(r"//+", "/", name.replace("_._", "/"))
    parts = name.split("/")
    if len(parts) > 1:
        parts = parts[1:]  # the model's own scope
    transpose = parts[-1] == "kernel"
    if parts[-1] in ("kernel", "embeddings", "gamma"):
        parts[-1] = "weight"
    elif parts[-1] == "beta":
        parts[-1] = "bias"
    return ".".join(parts), transpose


def read_tf_h5(path: str) -> dict[str, np.ndarray]:
    """HF's `tf_model.h5` (Keras 2 weights: layer_names / weight_names) as a PyTorch state dict."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read HDF5 weights ({e})") from None
    state = {}
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        layer_names = [n.decode() if isinstance(n, bytes) else n for n in root.attrs.get("layer_names", [])]
        if not layer_names:
            raise CheckpointError(f"{path}: no layer_names attribute; not a Keras/HF tf_model.h5")
        for layer in layer_names:
            group = root[layer]
            for weight in group.attrs.get("weight_names", []):
                weight = weight.decode() if isinstance(weight, bytes) else weight
                name, transpose = tf_name_to_pytorch(weight)
                value = np.asarray(group[weight], dtype=np.float32)
                state[name] = value.T if transpose else value
    return state


def write_safetensors(state: dict[str, np.ndarray], path: str) -> None:
    """Writes an HF-loadable model.safetensors (metadata format=pt)."""
    from safetensors.numpy import save_file

    save_file(state, path, metadata={"format": "pt"})


def write_pytorch_bin(state: dict[str, np.ndarray], path: str) -> None:
    """Writes a torch state dict (UER-py loads these with torch.load)."""
    try:
        import torch
    except ImportError:
        raise CheckpointError(f"{path}: writing a PyTorch .bin needs torch "
                              "(pip install 'clue-tf[torch]')") from None
    torch.save({name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}, path)
