"""A SavedModel that serves raw text: Google's exact tokenizer, the model and its head.

Signatures (inputs are 1-D string tensors of any batch size):
- `serving_default`: the classifier (`text_a`, plus `text_b` for pair tasks) -> `label`,
  `label_id`, `probabilities`; for a bundle without a classifier head, `features`.
- `features` / `features_pair`: `pooled_output`, `sequence_output`, `token_ids`, `padding_mask`.
- `fill_mask` (when the weights carry the masked-LM head): `text` with [MASK]s -> top-k
  `tokens`, `token_ids`, `scores` per mask and the `mask_positions`.
- `tokenize`: `text` -> `token_ids` (zero padded) and `lengths`, for checking the ids.
`precision`: float32, bfloat16 (weights and compute) or int8 (the encoder's dense layers
int8 x int8 on oneDNN, serving/int8.py; x86 CPUs).
Loading needs `tensorflow` and `import tensorflow_text` (its ops), nothing of clue_tf or Keras.
"""

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Optional

import tensorflow as tf

from clue_tf.checkpoints import folders
from clue_tf.errors import CheckpointError, ClueTfError
from clue_tf.io.outputs import atomic_directory, check_own_folder
from clue_tf.models.backbones import find_encoder
from clue_tf.models.layer_norm import portable_graph
from clue_tf.serving.signatures import ServingFunctions

logger = logging.getLogger(__name__)

PRECISIONS = ("float32", "bfloat16", "int8")
INFO_NAME = "serving_info.json"


@dataclass
class ExportSettings:
    """export_saved_model's settings; model flags are Google's."""

    export_dir: str
    bundle_dir: Optional[str] = None
    bert_config_file: Optional[str] = None
    vocab_file: Optional[str] = None
    init_checkpoint: Optional[str] = None
    labels: Optional[list] = None  # the classifier head's label strings, in order; None: features only
    pair: bool = False  # the classifier reads text_a and text_b
    task_name: Optional[str] = None  # what the labels are called, recorded in serving_info.json
    do_lower_case: bool = True
    max_seq_length: int = 128
    precision: str = "float32"
    top_k: int = 5
    allow_unused_weights: bool = False

    def check(self, folder_flag: str = "export_dir") -> None:
        """Settings that would fail the export, named by their flag (`folder_flag`: the flag that
        gave the export folder, --export_saved_model in run_classifier)."""
        if self.precision not in PRECISIONS:
            raise ClueTfError(f"--precision={self.precision}: one of {', '.join(PRECISIONS)}")
        if self.max_seq_length < 3:
            raise ClueTfError(f"--max_seq_length={self.max_seq_length}: must be at least 3 ([CLS] a [SEP])")
        if self.top_k < 1:
            raise ClueTfError(f"--top_k={self.top_k}: must be at least 1")
        check_own_folder(self.export_dir, folder_flag)
        if os.path.isfile(self.export_dir):
            raise ClueTfError(f"--{folder_flag}={self.export_dir}: is a file")
        if os.path.isdir(self.export_dir) and os.listdir(self.export_dir) and not is_saved_model(self.export_dir):
            raise ClueTfError(f"--{folder_flag}={self.export_dir}: holds files that are not a SavedModel; "
                              "give a new or empty folder (it is replaced as a whole)")


def is_saved_model(path: str) -> bool:
    return os.path.exists(os.path.join(path, "saved_model.pb"))


class ServingModule(tf.Module):
    """What the SavedModel tracks: the model's variables (less `in_graph`, weights the serving
    graph holds as constants: int8 kernels), the tokenizers' tables, the assets."""

    def __init__(self, model, tokenizer, mask_tokenizer, vocab_file: str, info_file: str, in_graph: list = ()):
        super().__init__(name="clue_tf_serving")
        if in_graph:
            left_out = {id(variable) for variable in in_graph}
            kept = [variable for variable in model.weights if id(variable) not in left_out]
            self.model_variables = {f"{variable.path}#{i}": variable for i, variable in enumerate(kept)}
        else:
            self.model = model
        self.tokenizer = tokenizer
        self.mask_tokenizer = mask_tokenizer
        self.vocab_file = tf.saved_model.Asset(vocab_file)
        self.serving_info = tf.saved_model.Asset(info_file)


def export_saved_model(settings: ExportSettings) -> dict:
    """Writes the SavedModel to `s.export_dir` atomically; returns its serving info."""
    settings.check()
    files = folders.locate(settings.bundle_dir, config_file=settings.bert_config_file, vocab_file=settings.vocab_file,
                           weights=settings.init_checkpoint, need_vocab=True)
    if "classifier" not in files.family.heads:
        raise ClueTfError(f"{files.family.name} models are not exported for serving (encoder families only)")
    loaded = folders.load(files, heads="present",
                          num_labels=len(settings.labels) if settings.labels is not None else None,
                          allow_unused=settings.allow_unused_weights,
                          dtype="float32" if settings.precision == "int8" else settings.precision)
    return export_loaded(loaded, settings)


def export_loaded(loaded, settings: ExportSettings) -> dict:
    """export_saved_model for a model already loaded (run_classifier's, after training)."""
    from clue_tf.tokenization.bert_tokenizer import BertTokenizer

    model = loaded.model
    heads = set(loaded.family.heads) - set(loaded.report.initial_heads)
    heads &= {layer.name[: -len("_head")] for layer in getattr(model, "layers", []) if layer.name.endswith("_head")}
    limit = getattr(find_encoder(model), "max_sequence_length", None)
    if limit and settings.max_seq_length > limit:
        raise ClueTfError(f"--max_seq_length={settings.max_seq_length}: above the model's {limit} positions")
    if "classifier" in heads and settings.labels is None:
        raise ClueTfError(f"{loaded.files.weights}: has a classifier head; give --task_name for its labels")
    if settings.labels is not None and "classifier" not in heads:
        raise CheckpointError(f"{loaded.files.weights}: has no classifier head (output_weights / output_bias) "
                              "to serve --task_name with; train it first (run_classifier --do_train), or "
                              "export without --task_name for the features signatures")
    in_graph = []
    if settings.precision == "int8":
        from clue_tf.serving.int8 import quantize_encoder_int8

        in_graph = quantize_encoder_int8(find_encoder(model))
        logger.info("int8: %d dense layers quantized", len(in_graph))
    tokenizer = BertTokenizer(loaded.vocab, do_lower_case=settings.do_lower_case)
    mask_tokenizer = BertTokenizer(loaded.vocab, do_lower_case=settings.do_lower_case, keep_special_tokens=True,
                                   special_tokens=["[MASK]"])
    labels = list(settings.labels) if settings.labels is not None else None
    if labels is not None:
        units = model.get_layer("classifier_head").units
        if units != len(labels):
            raise ClueTfError(f"{loaded.files.weights}: classifier head has {units} labels, "
                              f"{settings.task_name or 'the labels given'} has {len(labels)}")
    pair = labels is not None and settings.pair
    info = {"task_name": settings.task_name if labels is not None else None, "labels": labels, "pair": pair,
            "max_seq_length": settings.max_seq_length, "do_lower_case": settings.do_lower_case,
            "precision": settings.precision, "family": loaded.family.name, "heads": sorted(heads),
            "signatures": []}
    # int8 graphs name oneDNN ops already (CPU only); float ones stay loadable on any TensorFlow.
    with contextlib.nullcontext() if settings.precision == "int8" else portable_graph():
        _trace_and_save(model, tokenizer, mask_tokenizer, loaded.vocab_file, in_graph, settings, labels, heads, info)
    logger.info("wrote %s: signatures %s", settings.export_dir, ", ".join(info["signatures"]))
    return info


def _trace_and_save(model, tokenizer, mask_tokenizer, vocab_file: str, in_graph: list, settings: ExportSettings,
                    labels, heads, info: dict) -> None:
    """Traces the signatures, then writes the SavedModel and its serving info atomically."""
    pair = info["pair"]
    functions = ServingFunctions(model, tokenizer, mask_tokenizer, settings.max_seq_length, labels, settings.top_k)
    signatures = {"features": functions.features(), "features_pair": functions.features_pair(),
                  "tokenize": functions.tokenize()}
    if "classifier" in heads:
        signatures["serving_default"] = functions.classify_pair() if pair else functions.classify()
    else:
        signatures["serving_default"] = signatures["features"]
    if "masked_lm" in heads:
        signatures["fill_mask"] = functions.fill_mask()
    info["signatures"] = sorted(signatures)
    with tempfile.TemporaryDirectory() as scratch:
        info_file = os.path.join(scratch, INFO_NAME)
        with open(info_file, "w", encoding="utf-8") as f:
            json.dump(info, f, ensure_ascii=False, indent=2)
        module = ServingModule(model, tokenizer, mask_tokenizer, vocab_file, info_file, in_graph)
        with atomic_directory(settings.export_dir) as tmp:
            tf.saved_model.save(module, tmp, signatures=signatures)


def read_serving_info(saved_model) -> dict:
    """The serving_info.json a SavedModel carries (task, labels, settings)."""
    with open(saved_model.serving_info.asset_path.numpy().decode("utf-8"), encoding="utf-8") as f:
        return json.load(f)

