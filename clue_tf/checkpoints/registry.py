"""The known models: their published architectures, where they come from, their layout."""

import json
import os
from dataclasses import dataclass

from clue_tf.errors import ClueTfError
from clue_tf.models.bert_config import BertConfig

REGISTRY_FILE = os.path.join(os.path.dirname(__file__), "registry.json")


@dataclass
class RegistryEntry:
    name: str
    config: BertConfig
    description: str
    download: str
    layout: str
    published: dict


def load_registry() -> dict[str, RegistryEntry]:
    with open(REGISTRY_FILE, encoding="utf-8") as f:
        models = json.load(f)["models"]
    return {
        name: RegistryEntry(name=name, config=BertConfig.from_dict(m["config"], source=name),
                            description=m["description"], download=m["download"],
                            layout=m["layout"], published=m["published"])
        for name, m in models.items()
    }


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
