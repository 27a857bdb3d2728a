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
from clue_tf.models.activations import write_activation
from clue_tf.models.encoder_config import EncoderConfig

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
class NezhaConfig(EncoderConfig):
    max_relative_position: int = HUAWEI_TF_MAX_RELATIVE_POSITION
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "NezhaConfig":
        if values.get("use_relative_position") is False:
            raise ConfigError(f"{source}: use_relative_position is false: that is BERT's absolute positions, "
                              "not NEZHA")
        if "max_relative_position" not in values:
            logger.info("%s: no max_relative_position; using %d, the distance Huawei's TF modeling.py fixes",
                        source, HUAWEI_TF_MAX_RELATIVE_POSITION)
        known, extra = cls.read_fields(values, source, "google")
        extra.pop("use_relative_position", None)
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source, more=("max_relative_position",), even_head_size=True)

    def to_dict(self, dialect: str = "google") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values["hidden_act"] = write_activation(self.hidden_act, "google")
        values["use_relative_position"] = True
        values.update({k: v for k, v in self.extra.items() if k not in values})
        return values
