"""Conversions between any two model formats, and fresh models from the registry.

`convert_model` loads whatever the source carries (encoder plus the heads it really has)
and writes exactly that: a head the source lacks is never written.
"""

import os
from typing import Optional

import keras

from clue_tf.checkpoints import folders
from clue_tf.checkpoints.registry import registry_entry
from clue_tf.errors import ClueTfError, VocabError
from clue_tf.families import all_families
from clue_tf.tokenization.vocab import load_vocab


def _check_output_dir(output_dir: str, source_folder: Optional[str]) -> None:
    """Refuse to replace the source's own folder or one around it."""
    if not source_folder:
        return
    out, src = os.path.realpath(output_dir), os.path.realpath(source_folder)
    if src == out or src.startswith(out + os.sep):
        raise ClueTfError(f"--output_dir={output_dir} would replace the model being converted ({source_folder})")


def convert_model(files: folders.ModelFiles, output_dir: str, output_format: str = "bundle",
                  allow_unused: bool = False, **options) -> tuple:
    """Writes the model `files` describe to `output_dir` in `output_format`; returns the
    loaded model and the heads written."""
    _check_output_dir(output_dir, files.folder)
    folders.check_replaceable(output_dir)  # before the model loads, not after
    loaded = folders.load(files, heads="present", allow_unused=allow_unused)
    return loaded, folders.write_loaded(output_dir, loaded, output_format, **options)


def keras_to_format(model_path: str, vocab_file: str, output_dir: str, output_format: str = "bundle") -> None:
    """Writes a `.keras` file holding one of our models in `output_format`."""
    folders.check_replaceable(output_dir)
    model = keras.saving.load_model(model_path)
    for family in all_families():
        config = family.config_from_model(model)
        if config is not None:
            break
    else:
        raise ClueTfError(f"{model_path}: holds a {type(model).__name__}, not a model of a known family")
    _check_vocab(vocab_file, family.vocab_size(config))
    folders.write(output_dir, model, family, config, vocab_file, output_format)


def model_from_registry(name: str, vocab_file: str, output_dir: str, seed: int = 12345):
    """A randomly initialised model of a registry architecture in its family's native
    format (BERT: a bundle; T5 / Pegasus: an HF folder), with the heads its release carries:
    a CLUE release has none, so commands refuse it where they would refuse the real files."""
    entry = registry_entry(name)
    folders.check_replaceable(output_dir)
    family, config = entry.family, entry.config
    _check_vocab(vocab_file, family.vocab_size(config))
    keras.utils.set_random_seed(seed)
    model = family.build(config, entry.heads)
    folders.write(output_dir, model, family, config, vocab_file, family.native_format)
    return config


def _check_vocab(vocab_file: str, vocab_size: int) -> None:
    lines = len(load_vocab(vocab_file))
    if lines != vocab_size:
        raise VocabError(f"{vocab_file}: {lines} lines, but the model has {vocab_size} embedding rows")
