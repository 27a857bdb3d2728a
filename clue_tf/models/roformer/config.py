"""RoFormer's architecture in Zhuiyi's (bert4keras) and HF's config dialects.

Zhuiyi's bundles carry BERT's JSON (no marker: the weights, which lack a position table,
say RoFormer); bert4keras and HF compute "gelu" exactly. `max_position_embeddings` sizes no
table here (rotary positions are computed); HF keeps its sinusoids at that length.
`use_pooler` is ours: whether the checkpoint has BERT's pooler (HF's RoFormerModel has none).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import write_activation
from clue_tf.models.encoder_config import EncoderConfig

ENCODER_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                  "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                  "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                  "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size",
                  "hidden_act": "hidden_act", "initializer_range": "initializer_range",
                  "embedding_dim": "embedding_size", "use_pooler": "use_pooler"}
_ACTIVATION_DIALECT = {"google": "gelu_is_erf", "hf": "hf"}
_HF_ONLY = ("model_type", "architectures", "id2label", "label2id",
            "layer_norm_eps", "pad_token_id", "transformers_version", "torch_dtype",
            "dtype", "rotary_value", "use_cache", "classifier_dropout")


@dataclass
class RoFormerConfig(EncoderConfig):
    hidden_act: str = "gelu_erf"
    max_position_embeddings: int = 1536
    embedding_size: int = 0
    use_pooler: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.embedding_size = self.embedding_size or self.hidden_size

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "RoFormerConfig":
        if values.get("rotary_value"):
            raise ConfigError(f"{source}: rotary_value is true (rotary values too); only the rotary queries and "
                              "keys of the published RoFormers are supported")
        if dialect == "hf" and values.get("layer_norm_eps", 1e-12) != 1e-12:
            raise ConfigError(f"{source}: layer_norm_eps {values['layer_norm_eps']} (RoFormer uses 1e-12)")
        known, extra = cls.read_fields(values, source, _ACTIVATION_DIALECT[dialect])
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source, more=("embedding_size",), even_head_size=True)

    def to_dict(self, dialect: str = "google") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        values["hidden_act"] = write_activation(self.hidden_act, _ACTIVATION_DIALECT[dialect])
        if dialect == "hf":
            values.pop("use_pooler")
            values.update(model_type="roformer", layer_norm_eps=1e-12, pad_token_id=0, rotary_value=False)
            values.setdefault("architectures", ["RoFormerForMaskedLM"])
        dropped = _HF_ONLY if dialect != "hf" else ()
        values.update({k: v for k, v in self.extra.items() if k not in values and k not in dropped})
        return values
