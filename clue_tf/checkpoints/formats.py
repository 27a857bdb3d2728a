"""The checkpoint formats, each one record in one table: how a weight file of a kind is
recognised and read, and how a model is written as a folder of a format.

`folders.py` (locate / load / write) asks these tables and names no format itself; a new
format is a reader and a writer here (in a module of its own beside `hf.py` and `tf1.py`),
plus the name tables of the families that ship in it.
"""

import fnmatch
import logging
import os
from dataclasses import dataclass
from typing import Callable, Optional

from clue_tf.checkpoints import hf, keras_hub_preset
from clue_tf.errors import ClueTfError
from clue_tf.families import Family
from clue_tf.io.json_config import write_json_config
from clue_tf.rows import WeightSource, dump_rows

logger = logging.getLogger(__name__)


# -- reading: kinds of weight files ---------------------------------------------------------
@dataclass(frozen=True)
class WeightKind:
    """One kind of weights path: whether a path is one, and how it reads as a WeightSource."""

    name: str
    matches: Callable[[str], bool]
    read: Callable[[str], WeightSource]


def _suffix(*endings: str) -> Callable[[str], bool]:
    return lambda path: not os.path.isdir(path) and path.endswith(endings)


def _state(reader: Callable[[str], dict]) -> Callable[[str], WeightSource]:
    return lambda path: WeightSource.from_state(reader(path), path)


def _read_tf1(path: str) -> WeightSource:
    from clue_tf.checkpoints import tf1  # TensorFlow: imported when a checkpoint is read, not with the table

    return tf1.checkpoint_source(path)


def _write_tf1(state: dict, prefix: str) -> None:
    from clue_tf.checkpoints import tf1

    tf1.write_checkpoint(state, prefix)


# In the order a path is tested: a preset folder, a TF1 prefix, then file name endings.
WEIGHT_KINDS = (
    WeightKind("keras_hub", lambda p: os.path.isdir(p) and os.path.exists(os.path.join(p, "metadata.json")),
               keras_hub_preset.read_preset),
    WeightKind("tf1", lambda p: not os.path.isdir(p) and (p.endswith(".index") or os.path.exists(p + ".index")),
               _read_tf1),
    WeightKind("sharded", _suffix(".safetensors.index.json"), _state(hf.read_sharded_safetensors)),
    WeightKind("safetensors", _suffix(".safetensors"), _state(hf.read_safetensors)),
    WeightKind("h5", _suffix(".h5"), _state(hf.read_tf_h5)),
    WeightKind("torch", _suffix(".bin", ".pt", ".pth"), _state(hf.read_pytorch_bin)),
)
_KINDS = {kind.name: kind for kind in WEIGHT_KINDS}


def kind_of(path: str) -> Optional[str]:
    """The kind of a weights path, by its name (None: not weights)."""
    return next((kind.name for kind in WEIGHT_KINDS if kind.matches(path)), None)


def read(kind: str, path: str) -> WeightSource:
    """The weights at `path` (of `kind`) under the file's own names."""
    return _KINDS[kind].read(path)


# -- writing: output formats -----------------------------------------------------------------
@dataclass(frozen=True)
class OutputFormat:
    """One `--output_format`: the files its folder holds, and its writer
    (`write(folder, model, family, config, vocab_file, skip_paths, **options) -> heads written`)."""

    name: str
    files: tuple
    write: Callable[..., tuple]
    copies_vocab: bool = True  # vocab.txt beside the weights (a preset keeps its own)


def _rows_writer(name: str, dialect_of: Callable, weights_writer: Callable, file_names: Callable) -> Callable:
    """A writer through the family's weight rows: bundle, HF and UER folders."""

    def write(folder: str, model, family: Family, config, vocab_file, skip_paths=(), **_) -> tuple:
        dialect = dialect_of(family, config)
        if not dialect or dialect not in (family.tf1_dialect_for(config), *family.config_dialects) or dialect == "mesh":
            raise ClueTfError(f"{family.name} models cannot be written as {name}; use --output_format=hf")
        config_values = family.config_dict(config, "google" if name == "bundle" else dialect)
        rows = family.rows(config, dialect)  # the config first: a family refuses a format by its config
        state = dump_rows(model, rows, skip_paths)
        check_complete(model, rows, skip_paths, name)
        heads = family.heads_in(state, config, dialect)
        if name == "hf":
            config_values.update(hf_model_fields(family, config, heads, state, dialect))
            if vocab_file:
                write_json_config(hf_tokenizer_config(family, config, vocab_file),
                                  os.path.join(folder, "tokenizer_config.json"))
        weights_name, config_name = file_names(family)
        weights_writer(state, os.path.join(folder, weights_name))
        write_json_config(config_values, os.path.join(folder, config_name))
        return heads

    return write


def hf_model_fields(family: Family, config, heads: tuple, state: dict, dialect: str) -> dict:
    """config.json fields transformers reads the weights by: `architectures` naming the class
    these heads make (no table of unexpected keys), and the classifier's label count."""
    fields = {}
    architecture = family.hf_architecture(heads)
    if architecture:
        fields["architectures"] = [architecture]
    labels = family.num_labels_in({k: v.shape for k, v in state.items()}, config, dialect) if "classifier" in heads \
        else None
    if labels:
        fields["id2label"] = {str(i): f"LABEL_{i}" for i in range(labels)}
        fields["label2id"] = {f"LABEL_{i}": i for i in range(labels)}
    return fields


def hf_tokenizer_config(family: Family, config, vocab_file: str) -> dict:
    """tokenizer_config.json naming BertTokenizer (every clue-tf model uses Google's WordPiece;
    without it AutoTokenizer picks the model type's own, e.g. ALBERT's SentencePiece), uncased
    unless the vocab holds upper-case letters."""
    from clue_tf.tokenization.vocab import load_vocab

    words = (token.removeprefix("##") for token in load_vocab(vocab_file).lines)
    cased = any(word.isascii() and word.isalpha() and not word.islower() for word in words)  # "The", not "<S>"
    values = {"tokenizer_class": "BertTokenizer", "do_lower_case": not cased, "tokenize_chinese_chars": True}
    if family.max_positions(config):
        values["model_max_length"] = family.max_positions(config)
    return values


def check_complete(model, rows, skip_paths, output_format: str) -> None:
    """Every weight of the model has a row in the format, or is one of `skip_paths`."""
    by_path = {w.path: w for w in model.weights}
    covered = {var.path for var in (row.variable(model, by_path) for row in rows) if var is not None}
    left = [p for p in by_path if p not in covered and p not in set(skip_paths)]
    if left:
        raise ClueTfError(f"the {output_format} format has no place for {', '.join(left[:5])}; "
                          "choose another --output_format")


def write_keras_file(folder: str, model, family: Family, config, vocab_file, skip_paths=(), **_) -> tuple:
    """A keras-hub Backbone or Task as is; of our functional head wrappers (whose tied MLM
    head Keras cannot deserialize) the backbone inside, naming the heads left out."""
    import keras_hub

    if not isinstance(model, (keras_hub.models.Backbone, keras_hub.models.Task)):
        backbone = next((layer for layer in model.layers if isinstance(layer, keras_hub.models.Backbone)), None)
        if backbone is None:
            raise ClueTfError(f"cannot save a {type(model).__name__} as model.keras")
        heads = sorted({w.path.split("/")[0] for w in model.weights} - {w.path.split("/")[0] for w in backbone.weights})
        logger.warning("model.keras holds the %s only; not written: %s", backbone.name, ", ".join(heads))
        model = backbone
    model.save(os.path.join(folder, "model.keras"))
    return ()


def _write_keras_hub(folder: str, model, family: Family, config, vocab_file, skip_paths=(), **options) -> tuple:
    return keras_hub_preset.write_preset(folder, model, family, config, vocab_file, skip_paths, **options)


OUTPUT_FORMATS = (
    OutputFormat("bundle", ("*.ckpt.index", "*.ckpt.data-*", "*.ckpt.meta", "checkpoint"),
                 _rows_writer("bundle", lambda f, c: f.tf1_dialect_for(c), _write_tf1,
                              lambda f: f.bundle_files)),
    OutputFormat("hf", ("*.safetensors", "model.safetensors.index.json", "pytorch_model*.bin",
                        "pytorch_model.bin.index.json", "tf_model.h5"),
                 _rows_writer("hf", lambda f, c: "hf", hf.write_safetensors,
                              lambda f: (hf.SAFETENSORS_NAME, "config.json"))),
    OutputFormat("uer", ("model.bin",),
                 _rows_writer("uer", lambda f, c: "uer", hf.write_pytorch_bin, lambda f: ("model.bin", "config.json"))),
    OutputFormat("keras_hub", ("metadata.json", "*.weights.h5", "task.json", "preprocessor.json", "assets"),
                 _write_keras_hub, copies_vocab=False),
    OutputFormat("keras", ("model.keras",), write_keras_file),
)
FORMATS = {fmt.name: fmt for fmt in OUTPUT_FORMATS}
FORMAT_NAMES = tuple(FORMATS)

# What a model folder of any format may hold; a folder with anything else is never replaced.
MODEL_FOLDER_FILES = ("vocab*.txt", "*config*.json", "tokenizer.json", "special_tokens_map.json",
                      "tokenizer_config.json", *(name for fmt in OUTPUT_FORMATS for name in fmt.files))


def output_format(name: str) -> OutputFormat:
    if name not in FORMATS:
        raise ClueTfError(f"unknown output format {name!r} (one of {', '.join(FORMAT_NAMES)})")
    return FORMATS[name]


def is_model_file(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in MODEL_FOLDER_FILES)
