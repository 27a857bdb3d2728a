"""ERNIE's weight names: HF's `ErnieModel` / `ErnieForMaskedLM` / `ErnieForPreTraining` keys,
which are BERT's under `ernie.` plus `ernie.embeddings.task_type_embeddings.weight`."""

import re

from clue_tf.models.bert import names as bert_names
from clue_tf.models.ernie.config import ErnieConfig
from clue_tf.rows import COPY, Row

TASK_TYPE = "ernie.embeddings.task_type_embeddings.weight"
ALIASES = {"hf": {"cls.predictions.decoder.weight": "ernie.embeddings.word_embeddings.weight",
                  "cls.predictions.decoder.bias": "cls.predictions.bias"}}


def ernie_rows(config: ErnieConfig) -> list[Row]:
    """BERT's HF rows renamed, and the task-type table when the config uses it."""
    rows = [Row(re.sub(r"^bert\.", "ernie.", row.name), row.keras, row.layout, row.head, row.optional)
            for row in bert_names.bert_rows(config.num_hidden_layers, "hf")]
    if config.use_task_id:
        rows.insert(5, Row(TASK_TYPE, "task_type_embedding/embeddings", COPY))
    return rows


def canonical_name(name: str) -> str:
    """Keys saved from a bare ErnieModel get the `ernie.` prefix; old LayerNorm spellings renamed."""
    return bert_names.hf_canonical_name(name, "ernie.", ("embeddings.", "encoder.", "pooler."))
