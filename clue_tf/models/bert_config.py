"""`bert_config.json`: the architecture of a Google-format BERT checkpoint."""

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError


def read_json_config(path: str) -> dict:
    """A JSON object from a config file, or a ConfigError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a JSON config ({e})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return values


@dataclass
class BertConfig:
    """Google's BertConfig fields with Google's defaults; unknown keys kept in `extra`."""

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 16
    initializer_range: float = 0.02
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>") -> "BertConfig":
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        if "vocab_size" not in values:
            raise ConfigError(f"{source}: missing required field 'vocab_size'")
        known = {k: v for k, v in values.items() if k in names}
        extra = {k: v for k, v in values.items() if k not in names}
        config = cls(**known, extra=extra)
        if config.hidden_size % config.num_attention_heads:
            raise ConfigError(
                f"{source}: hidden_size {config.hidden_size} is not a multiple of "
                f"num_attention_heads {config.num_attention_heads}")
        return config

    @classmethod
    def from_json_file(cls, path: str) -> "BertConfig":
        return cls.from_dict(read_json_config(path), source=os.fspath(path))

    def to_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values.update(self.extra)
        return values
