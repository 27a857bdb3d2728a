"""BERT bundles as users have them: a folder with a checkpoint, bert_config.json and vocab.txt.

Reading takes shapes from the checkpoint (CLUE's RoBERTa-large-clue ships vocab_size
21128 in its config beside an 8,021-row embedding), warns where the config disagrees, and
refuses a vocab.txt whose line count differs from the embedding rows. Writing is atomic.
"""

import glob
import json
import logging
import os
import shutil
from dataclasses import dataclass
from typing import Optional

from clue_tf.checkpoints import bert_names
from clue_tf.checkpoints.bundle import (
    LoadReport, load_weights, open_checkpoint, resolve_checkpoint_prefix, write_checkpoint,
)
from clue_tf.errors import CheckpointError, VocabError
from clue_tf.io_utils import atomic_directory
from clue_tf.models.bert_config import BertConfig
from clue_tf.tokenization.vocab import Vocab, load_vocab

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "bert_model.ckpt"
CONFIG_NAME = "bert_config.json"
VOCAB_NAME = "vocab.txt"

# Config fields that releases get wrong and the checkpoint decides, by embedding table.
_SHAPE_FIELDS = {
    "vocab_size": "bert/embeddings/word_embeddings",
    "type_vocab_size": "bert/embeddings/token_type_embeddings",
    "max_position_embeddings": "bert/embeddings/position_embeddings",
}


@dataclass
class BundleFiles:
    config_file: str
    vocab_file: str
    checkpoint: str  # the prefix


def find_bundle_files(
    bundle_dir: Optional[str] = None,
    config_file: Optional[str] = None,
    vocab_file: Optional[str] = None,
    checkpoint: Optional[str] = None,
) -> BundleFiles:
    """Locates a bundle's three files; explicit paths win over what `bundle_dir` holds.

    Besides the plain layout it accepts the folder an unzipped release makes: the files
    one folder down (CLUE's `RoBERTa-tiny-clue/`), and brightmart's `bert_config_large.json`.
    """
    if bundle_dir and not os.path.isdir(bundle_dir):
        raise CheckpointError(f"{bundle_dir}: bundle folder not found")
    root = _bundle_root(bundle_dir) if bundle_dir else None
    if checkpoint is None and root:
        checkpoint = root
    if config_file is None and root:
        config_file = _one_match(root, ["bert_config.json", "bert_config*.json", "*config*.json"], "config")
    if vocab_file is None and root:
        vocab_file = _one_match(root, ["vocab.txt", "vocab*.txt"], "vocab")
    missing = [n for n, v in (("--bert_config_file", config_file), ("--vocab_file", vocab_file),
                              ("--init_checkpoint", checkpoint)) if not v]
    if missing:
        raise CheckpointError(f"give --bundle_dir or {', '.join(missing)}")
    return BundleFiles(config_file, vocab_file, resolve_checkpoint_prefix(checkpoint))


def _bundle_root(bundle_dir: str) -> str:
    if glob.glob(os.path.join(bundle_dir, "*.index")):
        return bundle_dir
    inner = [d for d in glob.glob(os.path.join(bundle_dir, "*")) if glob.glob(os.path.join(d, "*.index"))]
    if len(inner) == 1:
        return inner[0]
    raise CheckpointError(f"{bundle_dir}: no checkpoint (*.index) in the folder or one folder down")


def _one_match(root: str, patterns: list[str], what: str) -> Optional[str]:
    for pattern in patterns:
        matches = sorted(glob.glob(os.path.join(root, pattern)))
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CheckpointError(f"{root}: several {what} files ({', '.join(map(os.path.basename, matches))})")
    return None


def config_from_checkpoint(config: BertConfig, checkpoint: str, config_file: str = "") -> BertConfig:
    """`config` with vocab/type-vocab/position sizes taken from the checkpoint's tables."""
    shapes = open_checkpoint(checkpoint).get_variable_to_shape_map()
    values = config.to_dict()
    for field_name, variable in _SHAPE_FIELDS.items():
        if variable not in shapes:
            raise CheckpointError(f"{checkpoint}: variable {variable} is missing")
        rows = int(shapes[variable][0])
        if values[field_name] != rows:
            logger.warning("%s: %s is %s but the checkpoint's %s has %d rows; using %d",
                           config_file or "config", field_name, values[field_name], variable, rows, rows)
            values[field_name] = rows
    return BertConfig.from_dict(values, source=config_file)


@dataclass
class LoadedBundle:
    files: BundleFiles
    config: BertConfig
    vocab: Vocab
    model: object
    report: LoadReport


def load_bert_bundle(files: BundleFiles, heads: str = "none", num_labels: int = 2) -> LoadedBundle:
    """Builds the model a bundle describes and fills it strictly from its checkpoint.

    heads: "none" (the encoder), "pretraining" (MLM + NSP) or "classifier" (Google's
    run_classifier head with `num_labels`). Heads the checkpoint lacks stay at their
    initial values and are named in the report.
    """
    from clue_tf.models.bert import BertEncoder
    from clue_tf.models.bert_heads import bert_classifier, bert_pretraining_model

    config = config_from_checkpoint(BertConfig.from_json_file(files.config_file), files.checkpoint,
                                    files.config_file)
    vocab = load_vocab(files.vocab_file)
    if len(vocab) != config.vocab_size:
        raise VocabError(f"{files.vocab_file}: {len(vocab)} lines, but the checkpoint's word "
                         f"embeddings have {config.vocab_size} rows")
    encoder = BertEncoder.from_bert_config(config)
    mappings = bert_names.encoder_mappings(config.num_hidden_layers)
    model = encoder
    if heads == "pretraining":
        model = bert_pretraining_model(encoder)
        mappings += bert_names.masked_lm_mappings() + bert_names.next_sentence_mappings()
    elif heads == "classifier":
        model = bert_classifier(encoder, num_labels)
        mappings += bert_names.classifier_mappings()
    elif heads != "none":
        raise ValueError(f"heads must be none, pretraining or classifier, got {heads!r}")
    report = load_weights(model, files.checkpoint, mappings)
    if report.left_initial:
        logger.info("%s: %s", files.checkpoint, report.summary())
    return LoadedBundle(files, config, vocab, model, report)


def write_bert_bundle(out_dir: str, model, config: BertConfig, vocab_file: str) -> None:
    """Writes bert_model.ckpt + bert_config.json + vocab.txt to `out_dir`, atomically.

    The files are written to a temporary folder beside `out_dir`, which then replaces it;
    an interrupted write leaves any earlier bundle there untouched.
    """
    mappings = (bert_names.encoder_mappings(config.num_hidden_layers) + bert_names.masked_lm_mappings()
                + bert_names.next_sentence_mappings() + bert_names.classifier_mappings())
    with atomic_directory(out_dir) as tmp_dir:
        write_checkpoint(model, os.path.join(tmp_dir, CHECKPOINT_NAME), mappings)
        with open(os.path.join(tmp_dir, CONFIG_NAME), "w", encoding="utf-8") as f:
            json.dump(config.to_dict(), f, indent=2, ensure_ascii=False)
            f.write("\n")
        shutil.copyfile(vocab_file, os.path.join(tmp_dir, VOCAB_NAME))

