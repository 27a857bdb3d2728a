"""RoFormer's weight names: Zhuiyi's TF1 bundles (bert4keras: BERT's names without
`bert/embeddings/position_embeddings`, `bert/encoder/embedding_hidden_mapping_in` when
E != H) and HF's `RoFormerModel` / `RoFormerForMaskedLM` keys (`roformer.`, no pooler,
`roformer.embeddings_project`, the sinusoids as `roformer.encoder.embed_positions.weight`).
Query and key rows are de-interleaved for keras-hub's RotaryEmbedding.
"""

import dataclasses
import re

import numpy as np

from clue_tf.models.bert import names as bert_names
from clue_tf.models.position_attention import rotary_permutation
from clue_tf.models.roformer.config import RoFormerConfig
from clue_tf.rows import COPY, LINEAR, FixedTable, Row

_ROTATED = ("self_attention_layer/query/", "self_attention_layer/key/")
_PROJECTION = {"google": ("bert/encoder/embedding_hidden_mapping_in/kernel", COPY,
                          "bert/encoder/embedding_hidden_mapping_in/bias"),
               "hf": ("roformer.embeddings_project.weight", LINEAR, "roformer.embeddings_project.bias")}
SINUSOIDS = "roformer.encoder.embed_positions.weight"
ALIASES = {"google": {}, "hf": {"cls.predictions.decoder.weight": "roformer.embeddings.word_embeddings.weight",
                                "cls.predictions.decoder.bias": "cls.predictions.bias"}}


def hf_sinusoids(length: int, head_dim: int) -> np.ndarray:
    """HF's RoFormerSinusoidalPositionalEmbedding table: sin of every angle, then cos."""
    angles = np.arange(length)[:, None] / np.power(10000, 2 * np.arange(head_dim // 2) / head_dim)[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def roformer_rows(config: RoFormerConfig, dialect: str) -> list[Row]:
    permutation = rotary_permutation(config.hidden_size // config.num_attention_heads)
    rows = []
    for row in bert_names.bert_rows(config.num_hidden_layers, dialect):
        if row.keras == "position_embedding/embeddings" or (row.keras.startswith("pooled_dense/")
                                                           and (dialect == "hf" or not config.use_pooler)):
            continue
        if dialect == "hf" and row.head in ("next_sentence", "classifier"):
            continue  # HF's RoFormer heads are other architectures
        if isinstance(row.keras, str) and row.keras.endswith(("/kernel", "/bias")) and any(
                part in row.keras for part in _ROTATED):
            row = dataclasses.replace(row, layout=dataclasses.replace(row.layout, permute=permutation))
        if dialect == "hf":
            row = dataclasses.replace(row, name=re.sub(r"^bert\.", "roformer.", row.name))
        if row.keras.startswith("pooled_dense/"):
            row = dataclasses.replace(row, optional=False)
        rows.append(row)
    if config.embedding_size != config.hidden_size:
        kernel, layout, bias = _PROJECTION[dialect]
        rows += [Row(kernel, "embedding_projection/kernel", layout), Row(bias, "embedding_projection/bias")]
    if dialect == "hf":
        table = hf_sinusoids(config.max_position_embeddings, config.hidden_size // config.num_attention_heads)
        rows.append(Row(SINUSOIDS, lambda model: FixedTable(SINUSOIDS, table, "rotary sinusoids"), optional=True))
    return rows


def canonical_name(name: str, dialect: str) -> str:
    """HF keys saved from the bare model get the `roformer.` prefix; old LayerNorm spellings renamed."""
    if dialect != "hf":
        return name
    return bert_names.hf_canonical_name(name, "roformer.", ("embeddings.", "encoder.", "embeddings_project."))
