"""NEZHA's `bert_config.json`: BERT's fields plus `use_relative_position` and
`max_relative_position`. Huawei's TF release writes `use_relative_position: true` and
hard-codes the clip distance 64 in its modeling.py (its PyTorch release writes
`max_relative_position: 64`); the activation is Google's tanh "gelu".
"""

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import read_activation, write_activation
from clue_tf.models.config_fields import split_fields

logger = logging.getLogger(__name__)
HUAWEI_TF_MAX_RELATIVE_POSITION = 64  # NEZHA-TensorFlow/modeling.py
ENCODER_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                  "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                  "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                  "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size",
                  "hidden_act": "hidden_act", "initializer_range": "initializer_range",
                  "max_relative_position": "max_relative_position"}


def is_nezha_config(values: dict) -> bool:
    return bool(values.get("use_relative_position")) or "max_relative_position" in values


@dataclass
class NezhaConfig:
    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu_tanh"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    max_relative_position: int = HUAWEI_TF_MAX_RELATIVE_POSITION
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "NezhaConfig":
        if "vocab_size" not in values:
            raise ConfigError(f"{source}: missing required field 'vocab_size'")
        if values.get("use_relative_position") is False:
            raise ConfigError(f"{source}: use_relative_position is false: that is BERT's absolute positions, "
                              "not NEZHA")
        if "max_relative_position" not in values:
            logger.info("%s: no max_relative_position; using %d, the distance Huawei's TF modeling.py fixes",
                        source, HUAWEI_TF_MAX_RELATIVE_POSITION)
        known, extra = split_fields(cls, values, source)
        extra.pop("use_relative_position", None)
        if "hidden_act" in known:
            known["hidden_act"] = read_activation(known["hidden_act"], "google", source)
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        for name in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "max_relative_position", "type_vocab_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{source}: {name} must be positive, got {getattr(self, name)}")
        if self.hidden_size % self.num_attention_heads or (self.hidden_size // self.num_attention_heads) % 2:
            raise ConfigError(f"{source}: hidden_size {self.hidden_size} over num_attention_heads "
                              f"{self.num_attention_heads} must be a whole, even head size (sin/cos pairs)")

    def to_dict(self, dialect: str = "google") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values["hidden_act"] = write_activation(self.hidden_act, "google")
        values["use_relative_position"] = True
        values.update({k: v for k, v in self.extra.items() if k not in values})
        return values
