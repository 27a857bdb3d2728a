"""HF's `ErnieConfig` (the form ERNIE 3.0 zh is published in outside Paddle) as a dataclass.

BERT's fields plus `task_type_vocab_size` / `use_task_id` (a third embedding table, read at
task type 0) and `layer_norm_eps` (ERNIE 3.0 uses 1e-5). HF's "gelu" is exact (erf).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import write_activation
from clue_tf.models.encoder_config import EncoderConfig

# ErnieEncoder's arguments -> our fields, both ways.
ENCODER_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                  "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                  "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                  "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size",
                  "hidden_act": "hidden_act", "initializer_range": "initializer_range",
                  "layer_norm_epsilon": "layer_norm_eps"}


@dataclass
class ErnieConfig(EncoderConfig):
    """HF ErnieConfig's fields; `hidden_act` in our dialect-free names."""

    hidden_act: str = "gelu_erf"
    task_type_vocab_size: int = 3
    use_task_id: bool = False
    layer_norm_eps: float = 1e-12
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_task_types(self) -> int:
        return self.task_type_vocab_size if self.use_task_id else 0

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "hf") -> "ErnieConfig":
        if values.get("position_embedding_type", "absolute") != "absolute":
            raise ConfigError(f"{source}: position_embedding_type {values['position_embedding_type']!r} "
                              "(only absolute)")
        known, extra = cls.read_fields(values, source, "hf")
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source)
        if self.use_task_id and self.task_type_vocab_size <= 0:
            raise ConfigError(f"{source}: use_task_id is true but task_type_vocab_size is "
                              f"{self.task_type_vocab_size}")

    def to_dict(self, dialect: str = "hf") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values["hidden_act"] = write_activation(self.hidden_act, "hf")
        values.update(model_type="ernie", pad_token_id=self.extra.get("pad_token_id", 0))
        values.setdefault("architectures", ["ErnieForMaskedLM"])
        values.update({k: v for k, v in self.extra.items() if k not in values})
        return values
