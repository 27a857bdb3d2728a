"""`config.json` of an encoder-decoder model (Chinese T5 v1.1, Pegasus) in HF's field names.

The published UER models ship HF configs (`MT5Config` / `PegasusConfig`), so we read and
write that format; the fields below are the ones that decide the architecture and the
generation conventions (UER: start with `[CLS]`, stop at `[SEP]`).
"""

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError
from clue_tf.io_utils import read_json_config

FAMILIES = ("t5", "pegasus")

# HF field name -> our field name, per family.
_T5_FIELDS = {
    "vocab_size": "vocab_size", "d_model": "hidden_dim", "num_layers": "num_layers",
    "num_decoder_layers": "num_decoder_layers", "num_heads": "num_heads", "d_kv": "key_value_dim",
    "d_ff": "intermediate_dim", "dropout_rate": "dropout", "layer_norm_epsilon": "layer_norm_epsilon",
    "relative_attention_num_buckets": "relative_attention_num_buckets",
    "relative_attention_max_distance": "relative_attention_max_distance",
}
_PEGASUS_FIELDS = {
    "vocab_size": "vocab_size", "d_model": "hidden_dim", "encoder_layers": "num_layers",
    "decoder_layers": "num_decoder_layers", "encoder_attention_heads": "num_heads",
    "encoder_ffn_dim": "intermediate_dim", "dropout": "dropout",
    "max_position_embeddings": "max_position_embeddings", "activation_function": "activation",
}
_REQUIRED = {
    "t5": ("vocab_size", "d_model", "num_layers", "num_heads", "d_kv", "d_ff"),
    "pegasus": ("vocab_size", "d_model", "encoder_layers", "encoder_attention_heads", "encoder_ffn_dim"),
}
_GENERATION_FIELDS = {"decoder_start_token_id": "start_token_id", "pad_token_id": "pad_token_id"}


@dataclass
class Seq2SeqConfig:
    """Architecture and generation conventions of a T5 v1.1 or Pegasus model."""

    family: str
    vocab_size: int
    hidden_dim: int
    num_layers: int
    num_decoder_layers: int
    num_heads: int
    intermediate_dim: int
    key_value_dim: int = 64
    dropout: float = 0.1
    layer_norm_epsilon: float = 1e-6
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    max_position_embeddings: int = 1024
    activation: str = "relu"
    start_token_id: int = 101  # [CLS]: UER's decoder start
    stop_token_id: int = 102  # [SEP]: UER's end of target
    pad_token_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        return _T5_FIELDS if self.family == "t5" else _PEGASUS_FIELDS

    @classmethod
    def from_hf_dict(cls, values: dict, source: str = "<dict>") -> "Seq2SeqConfig":
        """Reads an HF `config.json` (model_type t5/mt5 or pegasus)."""
        model_type = values.get("model_type", "")
        family = {"t5": "t5", "mt5": "t5", "pegasus": "pegasus"}.get(model_type)
        if family is None:
            raise ConfigError(f"{source}: model_type {model_type!r} is not t5, mt5 or pegasus")
        names = _T5_FIELDS if family == "t5" else _PEGASUS_FIELDS
        missing = [k for k in _REQUIRED[family] if k not in values]
        if missing:
            raise ConfigError(f"{source}: missing required field(s) {', '.join(missing)}")
        known = {ours: values[hf] for hf, ours in {**names, **_GENERATION_FIELDS}.items() if hf in values}
        known.setdefault("num_decoder_layers", known["num_layers"])
        if family == "t5":
            projection = values.get("feed_forward_proj", "relu")
            if projection not in ("gated-gelu", "gated-gelu_new"):
                raise ConfigError(f"{source}: feed_forward_proj {projection!r}: only T5 v1.1 "
                                  "(gated-gelu) is supported")
            known["activation"] = "gelu_approximate"
        else:
            known["key_value_dim"] = values["d_model"] // values["encoder_attention_heads"]
            known["layer_norm_epsilon"] = 1e-5
        stop = values.get("forced_eos_token_id") or values.get("eos_token_id")
        # UER's T5 configs carry a stale eos_token_id 1; their targets end with [SEP] (102).
        if family == "t5" and stop == 1 and known.get("start_token_id") == 101:
            stop = 102
        if stop is not None:
            known["stop_token_id"] = stop
        used = set(names) | set(_GENERATION_FIELDS)
        extra = {k: v for k, v in values.items() if k not in used}
        config = cls(family=family, **known, extra=extra)
        config.validate(source)
        return config

    @classmethod
    def from_json_file(cls, path: str) -> "Seq2SeqConfig":
        return cls.from_hf_dict(read_json_config(path), source=os.fspath(path))

    def validate(self, source: str) -> None:
        if self.family not in FAMILIES:
            raise ConfigError(f"{source}: unknown model family {self.family!r}")
        if self.family == "pegasus" and self.hidden_dim % self.num_heads:
            raise ConfigError(f"{source}: d_model {self.hidden_dim} is not a multiple of "
                              f"{self.num_heads} heads")
        if self.family == "t5" and self.num_decoder_layers != self.num_layers:
            raise ConfigError(f"{source}: {self.num_layers} encoder but {self.num_decoder_layers} "
                              "decoder layers; T5 stacks of different depth are not supported")

    def to_hf_dict(self) -> dict:
        """The HF config.json for this model (extra fields kept as read)."""
        values = dict(self.extra)
        values.update({hf: getattr(self, ours) for hf, ours in self.fields.items()})
        values.update({hf: getattr(self, ours) for hf, ours in _GENERATION_FIELDS.items()})
        if self.family == "t5":
            values.update(model_type=values.get("model_type", "mt5"), feed_forward_proj="gated-gelu",
                          tie_word_embeddings=False, eos_token_id=self.stop_token_id)
            values.setdefault("architectures", ["MT5ForConditionalGeneration"])
        else:
            values.update(model_type="pegasus", decoder_attention_heads=self.num_heads,
                          decoder_ffn_dim=self.intermediate_dim, scale_embedding=True,
                          eos_token_id=self.stop_token_id, forced_eos_token_id=self.stop_token_id)
            values.setdefault("architectures", ["PegasusForConditionalGeneration"])
        return values

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
