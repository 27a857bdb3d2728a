"""The BERT architecture, read from and written to the three config dialects it ships in.

Google's `bert_config.json`, HF's `config.json` and UER-py's config name the same fields
differently, and disagree on what "gelu" means (see models/activations.py). `BertConfig`
holds one dialect-free activation name; each dialect is read and written by its own table,
so a model keeps its activation across formats.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import DIALECTS, read_activation, write_activation
from clue_tf.models.config_fields import split_fields
from clue_tf.models.encoder_config import EncoderConfig

# keras-hub's BertBackbone arguments -> our fields: builds its backbone for a preset and
# reads a preset's config.json (keras-hub's backbone is tanh-GELU only).
KERAS_HUB_FIELDS = {"vocabulary_size": "vocab_size", "num_layers": "num_hidden_layers",
                    "num_heads": "num_attention_heads", "hidden_dim": "hidden_size",
                    "intermediate_dim": "intermediate_size", "dropout": "hidden_dropout_prob",
                    "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size"}
# BertEncoder's arguments -> our fields, both ways (keras-hub's plus the activation and init).
ENCODER_FIELDS = {**KERAS_HUB_FIELDS, "hidden_act": "hidden_act", "initializer_range": "initializer_range"}

# UER-py's field names -> ours (UER has no vocab_size: the vocab file and weights decide).
_UER_FIELDS = {"hidden_size": "hidden_size", "layers_num": "num_hidden_layers",
               "heads_num": "num_attention_heads", "feedforward_size": "intermediate_size",
               "max_seq_length": "max_position_embeddings", "dropout": "hidden_dropout_prob"}


@dataclass
class BertConfig(EncoderConfig):
    """Google's BertConfig fields and defaults (its type_vocab_size is 16); `hidden_act` in our
    dialect-free names; keys no field takes are kept in `extra` and written back."""

    type_vocab_size: int = 16
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)} - {"extra"}

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "BertConfig":
        """Reads a config in `dialect` ("google", "hf" or "uer"), checking field types."""
        if dialect not in DIALECTS:
            raise ConfigError(f"{source}: unknown config dialect {dialect!r}")
        values = dict(values)
        if dialect == "uer":
            values = {_UER_FIELDS.get(k, k): v for k, v in values.items()}
            values.setdefault("attention_probs_dropout_prob", values.get("hidden_dropout_prob", 0.1))
            values.setdefault("type_vocab_size", 2)
            values.setdefault("vocab_size", 0)  # decided by the weights
        if "vocab_size" not in values:
            raise ConfigError(f"{source}: missing required field 'vocab_size'")
        known, extra = split_fields(cls, values, source)
        if "hidden_act" in known:
            known["hidden_act"] = read_activation(known["hidden_act"], dialect, source)
        if dialect == "hf":
            _check_hf_architecture(values, source)
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source)

    def to_dict(self, dialect: str = "google") -> dict:
        """The config as `dialect` writes it (our extra keys kept)."""
        values = {f: getattr(self, f) for f in sorted(self.field_names(), key=_FIELD_ORDER.index)}
        values["hidden_act"] = write_activation(self.hidden_act, dialect)
        if dialect == "uer":
            ours_to_uer = {v: k for k, v in _UER_FIELDS.items()}
            values = {ours_to_uer.get(k, k): v for k, v in values.items()
                      if k not in ("vocab_size", "type_vocab_size", "attention_probs_dropout_prob")}
            values.update(emb_size=self.hidden_size, embedding=["word", "pos", "seg"], encoder="transformer",
                          mask="fully_visible", target=["mlm"], tie_weights=True)
        elif dialect == "hf":
            values.update(model_type="bert", layer_norm_eps=1e-12, pad_token_id=0)
            values.setdefault("architectures", ["BertForMaskedLM"])
        dropped = _HF_ONLY if dialect != "hf" else ()
        values.update({k: v for k, v in self.extra.items() if k not in values and k not in dropped})
        return values


_FIELD_ORDER = [f.name for f in dataclasses.fields(BertConfig)]
# HF keys that mean nothing to Google's or UER's readers (kept when writing HF again).
_HF_ONLY = ("model_type", "architectures", "id2label", "label2id",
            "layer_norm_eps", "pad_token_id", "transformers_version",
            "torch_dtype", "dtype", "position_embedding_type", "use_cache", "classifier_dropout",
            "gradient_checkpointing", "directionality", "pooler_fc_size", "pooler_num_attention_heads",
            "pooler_num_fc_layers", "pooler_size_per_head", "pooler_type", "output_past")


def _check_hf_architecture(values: dict, source: str) -> None:
    """HF config keys that would describe another model than ours."""
    if values.get("model_type", "bert") != "bert":
        raise ConfigError(f"{source}: model_type {values['model_type']!r} is not bert")
    if values.get("layer_norm_eps", 1e-12) != 1e-12:
        raise ConfigError(f"{source}: layer_norm_eps {values['layer_norm_eps']} (BERT uses 1e-12)")
    if values.get("position_embedding_type", "absolute") != "absolute":
        raise ConfigError(f"{source}: position_embedding_type {values['position_embedding_type']!r} "
                          "(only absolute)")
