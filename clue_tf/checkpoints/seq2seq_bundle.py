"""Seq2seq model folders as published (HF layout): config.json, weights, vocab.txt.

Weights are read from model.safetensors (or its sharded index), pytorch_model.bin, or a
mesh-TF T5 checkpoint (then `config_file` must name an HF-style config). We write
config.json + model.safetensors + vocab.txt, which HF transformers loads as is.
"""

import glob
import json
import logging
import os
import shutil
from dataclasses import dataclass
from typing import Optional

from clue_tf.checkpoints import hf_weights
from clue_tf.checkpoints.bundle import LoadReport
from clue_tf.checkpoints.seq2seq_names import seq2seq_rows, tied_aliases
from clue_tf.errors import CheckpointError, VocabError
from clue_tf.io_utils import atomic_directory
from clue_tf.models.seq2seq import seq2seq_lm
from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.tokenization.vocab import load_vocab

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
VOCAB_NAME = "vocab.txt"


@dataclass
class LoadedSeq2Seq:
    model_dir: str
    config: Seq2SeqConfig
    vocab_file: str
    lm: object
    report: LoadReport


def read_model_state(model_dir: str, rows) -> tuple[dict, str]:
    """The weights in `model_dir` as an HF state dict, and the file they came from."""
    candidates = [
        (hf_weights.SAFETENSORS_NAME, hf_weights.read_safetensors),
        (hf_weights.SAFETENSORS_INDEX_NAME, hf_weights.read_sharded_safetensors),
        (hf_weights.PYTORCH_NAME, hf_weights.read_pytorch_bin),
    ]
    for name, read in candidates:
        path = os.path.join(model_dir, name)
        if os.path.exists(path):
            return read(path), path
    indexes = glob.glob(os.path.join(model_dir, "*.index"))
    if len(indexes) == 1:
        prefix = indexes[0][: -len(".index")]
        return hf_weights.read_mesh_checkpoint(prefix, rows), prefix
    raise CheckpointError(f"{model_dir}: no model.safetensors, pytorch_model.bin or mesh-TF checkpoint "
                          "(*.index) found")


def load_seq2seq_model(model_dir: str, config_file: Optional[str] = None,
                       vocab_file: Optional[str] = None, dtype=None) -> LoadedSeq2Seq:
    """Builds the model `model_dir`'s config describes and fills it, strictly."""
    if not os.path.isdir(model_dir):
        raise CheckpointError(f"{model_dir}: model folder not found")
    config_file = config_file or os.path.join(model_dir, CONFIG_NAME)
    vocab_file = vocab_file or os.path.join(model_dir, VOCAB_NAME)
    config = Seq2SeqConfig.from_json_file(config_file)
    vocab = load_vocab(vocab_file)
    if len(vocab) > config.vocab_size:
        raise VocabError(f"{vocab_file}: {len(vocab)} tokens, but {config_file} has vocab_size "
                         f"{config.vocab_size}")
    lm = seq2seq_lm(config, dtype)
    rows = seq2seq_rows(config.family, config.num_layers)
    state, source = read_model_state(model_dir, rows)
    report = hf_weights.load_state(lm, state, rows, source, aliases=tied_aliases(config.family))
    logger.info("%s: %s", source, report.summary())
    return LoadedSeq2Seq(model_dir, config, vocab_file, lm, report)


def write_seq2seq_model(out_dir: str, lm, config: Seq2SeqConfig, vocab_file: str) -> None:
    """Writes config.json + model.safetensors + vocab.txt to `out_dir`, atomically."""
    rows = seq2seq_rows(config.family, config.num_layers)
    with atomic_directory(out_dir) as tmp_dir:
        hf_weights.write_safetensors(hf_weights.model_state(lm, rows),
                                     os.path.join(tmp_dir, hf_weights.SAFETENSORS_NAME))
        with open(os.path.join(tmp_dir, CONFIG_NAME), "w", encoding="utf-8") as f:
            json.dump(config.to_hf_dict(), f, indent=2, ensure_ascii=False)
            f.write("\n")
        shutil.copyfile(vocab_file, os.path.join(tmp_dir, VOCAB_NAME))
