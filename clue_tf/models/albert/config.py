"""`albert_config*.json` (Google's and brightmart's) and HF's `AlbertConfig`, in one dataclass.

Google's configs carry `num_hidden_groups` / `inner_group_num`; brightmart's own configs
lack them (one shared block) and carry `ln_type` ("postln", or "preln" for its xlarge).
`layout` is not in any config: the checkpoint's names decide it ("google": LayerNorm at the
embedding width E, then `embedding_hidden_mapping_in` E->H; "brightmart":
`word_embeddings_2` E->H first, position/type tables and LayerNorm at H).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.models.activations import read_activation, write_activation
from clue_tf.models.config_fields import split_fields
from clue_tf.models.encoder_config import EncoderConfig

LAYOUTS = ("google", "brightmart")
# keras-hub's AlbertBackbone arguments -> our fields: builds its backbone for a preset and
# reads a preset's config.json (Google's layout, tanh GELU).
KERAS_HUB_FIELDS = {"vocabulary_size": "vocab_size", "embedding_dim": "embedding_size", "hidden_dim": "hidden_size",
                    "num_layers": "num_hidden_layers", "num_heads": "num_attention_heads",
                    "intermediate_dim": "intermediate_size", "num_groups": "num_hidden_groups",
                    "num_inner_repetitions": "inner_group_num", "dropout": "hidden_dropout_prob",
                    "max_sequence_length": "max_position_embeddings", "num_segments": "type_vocab_size"}
# AlbertEncoder's arguments -> our fields (plus `normalize_first`, from ln_type).
ENCODER_FIELDS = {**KERAS_HUB_FIELDS, "hidden_act": "hidden_act", "initializer_range": "initializer_range",
                  "layout": "layout"}
# HF AlbertConfig keys that mean nothing to Google's readers (kept when writing HF again).
_HF_ONLY = ("model_type", "architectures", "id2label", "label2id",
            "layer_norm_eps", "pad_token_id", "bos_token_id", "eos_token_id",
            "transformers_version", "torch_dtype", "dtype", "position_embedding_type", "classifier_dropout_prob")


@dataclass
class AlbertConfig(EncoderConfig):
    """ALBERT's architecture in Google's field names (BERT's plus the embedding width and the
    shared groups; dropout 0 by default); `hidden_act` in our dialect-free names."""

    embedding_size: int = 128
    num_hidden_groups: int = 1
    inner_group_num: int = 1
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    ln_type: str = "postln"
    layout: str = "google"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)} - {"extra", "layout"}

    @classmethod
    def from_dict(cls, values: dict, source: str = "<dict>", dialect: str = "google") -> "AlbertConfig":
        if "vocab_size" not in values:
            raise ConfigError(f"{source}: missing required field 'vocab_size'")
        if dialect == "hf" and values.get("layer_norm_eps", 1e-12) != 1e-12:
            raise ConfigError(f"{source}: layer_norm_eps {values['layer_norm_eps']} (ALBERT uses 1e-12)")
        values = {k: v for k, v in values.items() if not (k == "ln_type" and v is None)}  # brightmart: null
        known, extra = split_fields(cls, values, source, skip=("extra", "layout"))
        if "layout" in values:  # clue-tf's registry records it; no published config does
            known["layout"] = values["layout"]
        if "hidden_act" in known:
            known["hidden_act"] = read_activation(known["hidden_act"], dialect, source)
        elif dialect == "hf":
            known["hidden_act"] = "gelu_tanh"  # HF AlbertConfig's default, gelu_new
        extra.pop("layout", None)
        config = cls(**known, extra=extra)
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        self.check_sizes(source, more=("num_hidden_groups", "inner_group_num", "embedding_size"))
        if self.ln_type not in ("postln", "preln"):
            raise ConfigError(f"{source}: ln_type {self.ln_type!r} is not postln or preln")
        if self.layout not in LAYOUTS:
            raise ConfigError(f"{source}: unknown ALBERT layout {self.layout!r}")

    def group_of_layer(self, layer: int) -> int:
        """The shared group layer `layer` runs (Google's int(layer / L * G))."""
        return int(layer / self.num_hidden_layers * self.num_hidden_groups)

    def used_groups(self) -> list[int]:
        return sorted({self.group_of_layer(i) for i in range(self.num_hidden_layers)})

    def to_dict(self, dialect: str = "google") -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name not in ("extra", "layout")}
        values["hidden_act"] = write_activation(self.hidden_act, dialect)
        if dialect == "hf":
            values.pop("ln_type")
            values.update(model_type="albert", layer_norm_eps=1e-12, pad_token_id=0)
            values.setdefault("architectures", ["AlbertForMaskedLM"])
        dropped = _HF_ONLY if dialect != "hf" else ()
        values.update({k: v for k, v in self.extra.items() if k not in values and k not in dropped})
        return values
