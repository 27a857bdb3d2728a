"""ELECTRA's architecture: BERT's fields, an embedding width, and the generator's sizes.

Google's release has no config file (HFL's and CLUE's bundles carry a BERT-like JSON, for
the discriminator); HF's `ElectraConfig` adds `embedding_size`. The generator's sizes are
in neither: the checkpoint's shapes decide them (`fit_config`), and its head count follows
Google's `get_generator_config` (hidden // 64) unless the config names it. Google's ELECTRA
code computes "gelu" exactly (erf), as HF does.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import write_activation
from clue_tf.models.encoder_config import EncoderConfig

# ElectraEncoder's arguments -> our fields, both ways.
ENCODER_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                  "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                  "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                  "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size",
                  "hidden_act": "hidden_act", "initializer_range": "initializer_range",
                  "embedding_dim": "embedding_size"}
GENERATOR_FIELDS = ("generator_hidden_size", "generator_num_hidden_layers", "generator_num_attention_heads",
                    "generator_intermediate_size")
_ACTIVATION_DIALECT = {"google": "gelu_is_erf", "hf": "hf"}
# HF keys Google's readers ignore (kept when writing HF again).
_HF_ONLY = ("model_type", "architectures", "id2label", "label2id",
            "layer_norm_eps", "pad_token_id", "transformers_version", "torch_dtype",
            "dtype", "position_embedding_type", "use_cache", "classifier_dropout", "summary_type",
            "summary_use_proj", "summary_activation", "summary_last_dropout")


@dataclass
class ElectraConfig(EncoderConfig):
    """The discriminator's sizes in Google's names; `embedding_size` 0 means hidden_size;
    `generator_hidden_size` 0 means no generator is known."""

    hidden_act: str = "gelu_erf"
    embedding_size: int = 0
    generator_hidden_size: int = 0
    generator_num_hidden_layers: int = 0
    generator_num_attention_heads: int = 0
    generator_intermediate_size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.embedding_size = self.embedding_size or self.hidden_size

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "ElectraConfig":
        if dialect == "hf":
            if values.get("layer_norm_eps", 1e-12) != 1e-12:
                raise ConfigError(f"{source}: layer_norm_eps {values['layer_norm_eps']} (ELECTRA uses 1e-12)")
            if values.get("position_embedding_type", "absolute") != "absolute":
                raise ConfigError(f"{source}: position_embedding_type {values['position_embedding_type']!r} "
                                  "(only absolute)")
        known, extra = cls.read_fields(values, source, _ACTIVATION_DIALECT[dialect])
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source, more=("embedding_size",))
        if self.generator_hidden_size and self.generator_hidden_size % self.generator_heads():
            raise ConfigError(f"{source}: generator_hidden_size {self.generator_hidden_size} is not a multiple "
                              f"of its {self.generator_heads()} heads")

    def generator_heads(self) -> int:
        """Google's rule (get_generator_config) unless the config names the count."""
        return self.generator_num_attention_heads or max(1, self.generator_hidden_size // 64)

    def to_dict(self, dialect: str = "google") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values["hidden_act"] = write_activation(self.hidden_act, _ACTIVATION_DIALECT[dialect])
        for name in GENERATOR_FIELDS:  # written only when known
            if not values[name]:
                values.pop(name)
        if dialect == "hf":
            values.update(model_type="electra", layer_norm_eps=1e-12, pad_token_id=0)
            values.setdefault("architectures", ["ElectraForPreTraining"])
        dropped = _HF_ONLY if dialect != "hf" else ()
        values.update({k: v for k, v in self.extra.items() if k not in values and k not in dropped})
        return values
