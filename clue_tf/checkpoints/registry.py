"""The known models: their published architectures, where they come from, their layout."""

import json
import os
from dataclasses import dataclass
from typing import Union

from clue_tf.errors import ClueTfError
from clue_tf.models.bert_config import BertConfig
from clue_tf.models.seq2seq_config import Seq2SeqConfig

REGISTRY_FILE = os.path.join(os.path.dirname(__file__), "registry.json")


@dataclass
class RegistryEntry:
    name: str
    family: str  # bert | t5 | pegasus
    config: Union[BertConfig, Seq2SeqConfig]
    description: str
    download: str
    layout: str
    published: dict

    @property
    def num_parameters(self) -> int:
        if self.family == "bert":
            return count_bert_parameters(self.config)
        return count_seq2seq_parameters(self.config)


def load_registry() -> dict[str, RegistryEntry]:
    with open(REGISTRY_FILE, encoding="utf-8") as f:
        models = json.load(f)["models"]
    entries = {}
    for name, m in models.items():
        family = m.get("family", "bert")
        config = (BertConfig.from_dict(m["config"], source=name) if family == "bert"
                  else Seq2SeqConfig.from_hf_dict(m["config"], source=name))
        entries[name] = RegistryEntry(name=name, family=family, config=config, description=m["description"],
                                      download=m["download"], layout=m["layout"], published=m["published"])
    return entries


def registry_entry(name: str) -> RegistryEntry:
    registry = load_registry()
    if name not in registry:
        import difflib

        close = difflib.get_close_matches(name, registry, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ClueTfError(f"unknown model {name!r} in the registry{hint}")
    return registry[name]


def count_bert_parameters(config: BertConfig) -> int:
    """Encoder + pooler parameters of a Google-format BERT (no MLM/NSP head)."""
    h, i = config.hidden_size, config.intermediate_size
    embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * h + 2 * h
    layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
    pooler = h * h + h
    return embeddings + config.num_hidden_layers * layer + pooler


def count_seq2seq_parameters(config: Seq2SeqConfig) -> int:
    """Every weight of the published T5 v1.1 (untied head) or Pegasus (tied head, position
    tables and final_logits_bias included) model."""
    d, f, v = config.hidden_dim, config.intermediate_dim, config.vocab_size
    if config.family == "t5":
        inner = config.num_heads * config.key_value_dim
        attention = 4 * d * inner
        feedforward = 3 * d * f
        encoder = config.num_layers * (attention + feedforward + 2 * d)
        decoder = config.num_decoder_layers * (2 * attention + feedforward + 3 * d)
        relative_bias = 2 * config.relative_attention_num_buckets * config.num_heads
        return 2 * v * d + encoder + decoder + relative_bias + 2 * d
    attention = 4 * (d * d + d)
    feedforward = d * f + f + f * d + d
    encoder = config.num_layers * (attention + feedforward + 4 * d)
    decoder = config.num_decoder_layers * (2 * attention + feedforward + 6 * d)
    return v * d + 2 * config.max_position_embeddings * d + encoder + decoder + 4 * d + v
