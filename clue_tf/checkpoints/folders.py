"""Model folders in every published form: locate the files, load a model strictly, write one.

One API for every command: `locate` finds config, vocab and weights in a folder (or takes
them explicitly, as Google's flags do) and decides the family from the config; `load`
builds the family's model and fills it through the one strict row walker; `write` saves a
model in any format, atomically. Formats: a Google TF1 bundle (`bert_model.ckpt.*` +
`bert_config.json`), an HF folder (`model.safetensors`, sharded safetensors,
`pytorch_model.bin`, `tf_model.h5`), a UER-py checkpoint (`*.bin` with UER's names), a
mesh-TF T5 checkpoint, and a keras-hub preset. Also the unzipped-release layout: the files
one folder down.
"""

import glob
import logging
import os
import shutil
from dataclasses import dataclass, field
from typing import Optional

from clue_tf.checkpoints import formats, hf, sources, tf1
from clue_tf.rows import LoadReport, WeightSource, load_rows
from clue_tf.errors import CheckpointError, ClueTfError, VocabError
from clue_tf.families import Family, all_families, check_weights_family, family_of_files, get_family
from clue_tf.io.json_config import read_json_config
from clue_tf.io.outputs import atomic_directory, check_own_folder
from clue_tf.tokenization.hf_tokenizer_files import TOKENIZER_JSON, folder_lower_case, wordpiece_tokens
from clue_tf.tokenization.vocab import Vocab, load_vocab

logger = logging.getLogger(__name__)

VOCAB_NAME = "vocab.txt"
KERAS_HUB_VOCAB = os.path.join("assets", "tokenizer", "vocabulary.txt")
FORMATS = formats.FORMAT_NAMES  # what `write` writes (checkpoints/formats.py)


@dataclass
class ModelFiles:
    """Where a model's parts are, what family it is and how its files are written."""

    family: Family
    config_file: str
    config_dialect: str
    weights: Optional[str]  # TF1 prefix, weight file or preset folder; None: no weights
    kind: Optional[str]  # tf1 | safetensors | sharded | torch | h5 | keras_hub
    vocab_file: Optional[str]
    folder: Optional[str] = None
    do_lower_case: Optional[bool] = None  # what the folder's HF tokenizer files ask for, if anything


@dataclass
class LoadedModel:
    files: ModelFiles
    family: Family
    config: object
    vocab: Optional[Vocab]
    model: object
    report: LoadReport = field(default_factory=LoadReport)
    weight_dialect: Optional[str] = None

    @property
    def vocab_file(self) -> Optional[str]:
        return self.files.vocab_file

    def require_heads(self, heads: tuple, purpose: str) -> None:
        """A one-line error if any of `heads` stayed at initial values (never predict with it)."""
        missing = [h for h in heads if h in self.report.initial_heads]
        if missing:
            raise CheckpointError(f"{self.files.weights}: has no {' / '.join(missing)} head, so it cannot "
                                  f"{purpose} (CLUE's releases ship without one)")


def _find_weights(root: str) -> tuple[Optional[str], Optional[str]]:
    """The weights in a folder, in HF's order of preference, then TF1 and UER files."""
    if os.path.exists(os.path.join(root, "metadata.json")) and glob.glob(os.path.join(root, "*.weights.h5")):
        return root, "keras_hub"
    for name in hf.WEIGHT_FILES:
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path, formats.kind_of(path)
    for pattern, kind in (("*.index", "tf1"), ("*.bin", "torch"), ("*.safetensors", "safetensors")):
        matches = sorted(glob.glob(os.path.join(root, pattern)))
        if len(matches) > 1:
            raise CheckpointError(f"{root}: several weight files ({', '.join(map(os.path.basename, matches))}); "
                                  "name one with --init_checkpoint")
        if matches:
            path = matches[0][: -len(".index")] if kind == "tf1" else matches[0]
            return path, kind
    return None, None


def _model_root(folder: str) -> str:
    """`folder`, or the one folder inside it holding the model (an unzipped release)."""
    if _find_weights(folder)[0] or glob.glob(os.path.join(folder, "*.json")):
        return folder
    inner = [d for d in sorted(glob.glob(os.path.join(folder, "*"))) if os.path.isdir(d) and _find_weights(d)[0]]
    if len(inner) == 1:
        return inner[0]
    raise CheckpointError(f"{folder}: no model weights in the folder or one folder down (looked for "
                          "model.safetensors, pytorch_model.bin, tf_model.h5, *.index, *.bin, a keras-hub preset)")


def missing_weights_message(root: str) -> str:
    """What a model folder without usable weights lacks, named by the files that are there."""
    data_files = sorted(glob.glob(os.path.join(root, "*.data-*-of-*")))
    if data_files:
        prefix = os.path.basename(data_files[0]).split(".data-")[0]
        return f"{root}: {prefix}.index is missing (the checkpoint's data files are there without it)"
    preset_weights = sorted(glob.glob(os.path.join(root, "*.weights.h5")))
    if preset_weights:
        return (f"{root}: a keras-hub preset ({os.path.basename(preset_weights[0])}) without metadata.json; "
                "copy the whole preset folder")
    return (f"{root}: no model weights (looked for model.safetensors, pytorch_model.bin, tf_model.h5, "
            "*.ckpt.index, *.bin, a keras-hub preset)")


def _one_match(root: str, patterns, what: str) -> Optional[str]:
    for pattern in patterns:
        matches = sorted(glob.glob(os.path.join(root, pattern)))
        matches = [m for m in matches if not os.path.basename(m).startswith(("tokenizer_", "generation_"))]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CheckpointError(f"{root}: several {what} files ({', '.join(map(os.path.basename, matches))}); "
                                  f"name one")
    return None


def locate(path: Optional[str] = None, *, config_file: Optional[str] = None, vocab_file: Optional[str] = None,
           weights: Optional[str] = None, family: Optional[str] = None, need_weights: bool = True,
           need_vocab: bool = False) -> ModelFiles:
    """Finds a model's config, vocab and weights; explicit paths win over what `path` holds.

    `path` is a model folder in any supported format (or an unzipped release folder
    around one). The family comes from the config (checked against `family` if given).
    `need_vocab`: a folder without a vocab file is an error naming it (tokenizing commands).
    """
    root = None
    if path:
        path = sources.resolve(path)
        if os.path.isdir(path):
            root = _model_root(path)
        elif weights is None:
            weights = path
            root = os.path.dirname(os.path.abspath(path))
    kind = None
    if weights:
        kind = formats.kind_of(weights)
        if kind is None and os.path.isdir(weights):
            weights, kind = _find_weights(weights)
        if kind is None:
            raise CheckpointError(f"{weights}: not a checkpoint, safetensors, .bin, .h5 file or keras-hub preset")
        if kind == "tf1":
            weights = tf1.resolve_checkpoint_prefix(weights)
    elif root:
        weights, kind = _find_weights(root)
    if need_weights and not weights:
        if root:
            raise CheckpointError(missing_weights_message(root))
        raise CheckpointError("give --bundle_dir or --init_checkpoint (no model weights)")
    if config_file is None and root:
        if kind == "keras_hub":
            config_file = os.path.join(root, "config.json")
        else:
            names = ["config.json", *[n for f in all_families() for n in f.bundle_config_names]]
            # the catch-all pattern last: HFL's ELECTRA zips hold *_discriminator_config.json
            # beside *_generator_config.json
            names = list(dict.fromkeys(n for n in names if n != "*config*.json")) + ["*config*.json"]
            if kind == "tf1":  # Google's bundles name theirs bert_config*.json
                names = names[1:] + names[:1]
            config_file = _one_match(root, names, "config")
    if config_file is None:
        raise CheckpointError(f"{path or weights or 'model'}: no config file; give --bert_config_file")
    if vocab_file is None and root:
        vocab_file = _folder_vocab(root, kind)
    if need_vocab and vocab_file is None:
        raise VocabError(f"{root or path or weights}: no vocab.txt (nor a keras-hub vocabulary) in the folder; "
                         "give --vocab_file")
    values = read_json_config(config_file)
    names = list(tf1.checkpoint_source(weights).shapes) if kind == "tf1" else None  # the names are cheap here
    found, dialect = family_of_files(values, config_file, names, kind)
    if family and found is not get_family(family):
        raise CheckpointError(f"{config_file}: describes a {found.name} model, not {family}")
    lower_case = folder_lower_case(root) if root else None
    return ModelFiles(found, config_file, dialect, weights, kind, vocab_file, root, lower_case)


def _folder_vocab(root: str, kind: Optional[str]) -> Optional[str]:
    """A folder's vocab file: a keras-hub preset's, vocab.txt, or one derived from tokenizer.json."""
    if kind == "keras_hub" or (kind is None and os.path.exists(os.path.join(root, KERAS_HUB_VOCAB))):
        return os.path.join(root, KERAS_HUB_VOCAB)
    found = _one_match(root, [VOCAB_NAME, "vocab*.txt"], "vocab")
    tokenizer_json = os.path.join(root, TOKENIZER_JSON)
    if found is None and os.path.exists(tokenizer_json):
        found = derived_vocab_file(tokenizer_json)
    return found


def derived_vocab_file(tokenizer_json: str) -> str:
    """vocab.txt for an HF `tokenizer.json` (transformers 5 writes no vocab.txt), written once into
    the cache under the file's sha256, so every command and export has a vocab file to pass on."""
    from clue_tf.checkpoints.downloads import cache_root, sha256_of
    from clue_tf.io.outputs import atomic_write

    path = os.path.join(cache_root(), "vocab", sha256_of(tokenizer_json)[:32], VOCAB_NAME)
    if not os.path.exists(path):
        tokens = wordpiece_tokens(tokenizer_json)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with atomic_write(path) as f:
            f.write("".join(t + "\n" for t in tokens))
        logger.info("%s: WordPiece vocab written to %s (the folder has no vocab.txt)", tokenizer_json, path)
    return path


def folder_lower_case_of(path: str) -> Optional[bool]:
    """The do_lower_case a model folder's HF tokenizer files ask for (None: they say nothing)."""
    if not os.path.isdir(path):
        return None
    return folder_lower_case(_model_root(path))


def locate_vocab(path: str) -> Optional[str]:
    """The vocab file of a model folder in any format (or an unzipped release around one)."""
    path = sources.resolve(path)
    if not os.path.isdir(path):
        raise CheckpointError(f"{path}: model folder not found")
    return _folder_vocab(_model_root(path), None)


def read_weights(files: ModelFiles) -> WeightSource:
    """The weights of `files` as a WeightSource under the file's own names."""
    return formats.read(files.kind, files.weights)


def _renamed(source: WeightSource, family: Family, dialect: str) -> WeightSource:
    """`source` under the spellings the family's rows use (old HF/UER spellings renamed)."""
    mapping = {family.canonical_name(name, dialect): name for name in source.shapes}
    if all(k == v for k, v in mapping.items()):
        return source
    return WeightSource({new: source.shapes[old] for new, old in mapping.items()},
                        lambda name: source.get(mapping[name]), source.where)


def open_weights(files: ModelFiles) -> tuple[WeightSource, str]:
    """The weights of `files`, checked to be the family's, under the rows' spellings."""
    source = read_weights(files)
    dialect = check_weights_family(files.family, list(source.shapes), files.kind, source.where)
    return _renamed(source, files.family, dialect), dialect


def read_config(files: ModelFiles, shapes: Optional[dict] = None, dialect: Optional[str] = None):
    """The config `files` describe, with the sizes the weights decide when given."""
    config = files.family.read_config(read_json_config(files.config_file), files.config_dialect,
                                      files.config_file)
    if shapes is not None:
        config = files.family.fit_config(config, shapes, dialect, files.config_file)
    return config


def fill(model, files: ModelFiles, config, allow_unused: bool = False, opened=None) -> LoadReport:
    """Fills an already built model (e.g. inside a distribution strategy) from `files`, strictly;
    `opened` is open_weights(files) when the caller already has it."""
    source, dialect = opened or open_weights(files)
    report = load_rows(model, source, files.family.rows(config, dialect), files.family.aliases(dialect),
                       allow_unused=allow_unused, describe=files.family.describe(config))
    logger.info("%s: %s", source.where, report.summary())
    return report


def load(files: ModelFiles, heads="none", num_labels: Optional[int] = None, require: tuple = (),
         allow_unused: bool = False, dtype=None, purpose: str = "predict",
         first_token_only: bool = False) -> LoadedModel:
    """Builds the model `files` describe and fills it strictly from its weights.

    heads: a tuple of head names, "none", or "present" (the heads the weights carry, for
    conversion). Heads the weights lack stay at initial values and are reported; those in
    `require` make it an error instead. `first_token_only`: a classifier whose last layer
    computes the first token alone (Family.build).
    """
    family = files.family
    source, dialect = open_weights(files)
    config = read_config(files, source.shapes, dialect)
    vocab = load_vocab(files.vocab_file) if files.vocab_file else None
    if vocab is not None and len(vocab) != family.vocab_size(config):
        raise VocabError(f"{files.vocab_file}: {len(vocab)} lines, but the model's word embeddings have "
                         f"{family.vocab_size(config)} rows")
    if heads == "present":
        heads = family.heads_in(source.shapes, config, dialect)
    elif heads == "none":
        heads = ()
    if "classifier" in heads and num_labels is None:
        num_labels = family.num_labels_in(source.shapes, config, dialect)
    model = family.build(config, tuple(heads), num_labels, dtype, first_token_only=first_token_only)
    report = load_rows(model, source, family.rows(config, dialect), family.aliases(dialect),
                       allow_unused=allow_unused, describe=family.describe(config))
    logger.info("%s: %s", source.where, report.summary())
    loaded = LoadedModel(files, family, config, vocab, model, report, dialect)
    loaded.require_heads(tuple(require), purpose)
    return loaded


def load_folder(path: Optional[str] = None, heads="none", **kwargs) -> LoadedModel:
    """`load(locate(path))`: the one-call form for notebooks."""
    locate_args = {k: kwargs.pop(k) for k in ("config_file", "vocab_file", "weights", "family") if k in kwargs}
    return load(locate(path, **locate_args), heads=heads, **kwargs)


def write(out_dir: str, model, family: Family, config, vocab_file: Optional[str], output_format: str = "bundle",
          skip_paths=(), require_vocab: bool = True, **options) -> tuple:
    """Writes `model` to `out_dir` in `output_format` (formats.FORMAT_NAMES), atomically; returns the
    heads written.

    Every weight of the model goes into the file except `skip_paths` (heads never loaded
    or trained); a format without a place for one of them is an error, never a silent drop.
    """
    fmt = formats.output_format(output_format)
    if not vocab_file and (require_vocab or not fmt.copies_vocab):
        raise ClueTfError(f"writing {out_dir} needs the vocab file (--vocab_file)")
    check_replaceable(out_dir)
    with atomic_directory(out_dir) as tmp:
        heads = fmt.write(tmp, model, family, config, vocab_file, skip_paths, **options)
        if fmt.copies_vocab and vocab_file:
            shutil.copyfile(vocab_file, os.path.join(tmp, VOCAB_NAME))
    return heads


def check_replaceable(out_dir: str) -> None:
    """Writing replaces `out_dir` as a whole, so it must be new, empty or a model folder:
    never delete what this project did not write (`--output_dir=.` in a working folder)."""
    check_own_folder(out_dir)
    if os.path.isfile(out_dir):
        raise ClueTfError(f"--output_dir={out_dir}: is a file")
    if not os.path.isdir(out_dir):
        return
    foreign = sorted(name for name in os.listdir(out_dir) if not formats.is_model_file(name))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ClueTfError(f"--output_dir={out_dir}: holds files that are not a model's ({shown}); the folder "
                          "is replaced as a whole, so give a new or empty folder")


def write_loaded(out_dir: str, loaded: LoadedModel, output_format: str = "bundle", **options) -> tuple:
    """Writes a loaded model in `output_format` without any head it did not load."""
    return write(out_dir, loaded.model, loaded.family, loaded.config, loaded.files.vocab_file, output_format,
                 skip_paths=loaded.report.initial_paths, **options)
