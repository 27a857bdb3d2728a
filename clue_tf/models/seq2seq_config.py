"""`config.json` of an encoder-decoder model (Chinese T5 v1.1, Pegasus) in HF's field names.

The published UER models ship HF configs (`MT5Config` / `PegasusConfig`), so we read and
write that format. The config is shared; each family's table (`t5/config.py`,
`pegasus/config.py`) says which HF fields decide the architecture and the generation
conventions (UER: start with `[CLS]`, stop at `[SEP]`).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clue_tf.errors import ConfigError

_GENERATION_FIELDS = {"decoder_start_token_id": "start_token_id", "pad_token_id": "pad_token_id"}


class Seq2SeqDialect:
    """One family's HF config.json: its field table (HF name -> ours, used both ways), the
    fields it must have, and what it reads and writes beyond the table. Each family folder
    defines one (t5/config.py, pegasus/config.py) and its Family passes it in."""

    family: str = ""
    model_types: tuple = ()
    fields: dict = {}
    required: tuple = ()

    def read_extras(self, values: dict, known: dict, source: str) -> None:
        """Fills `known` (our field names) with what the table does not say."""

    def write_extras(self, config: "Seq2SeqConfig", values: dict) -> None:
        """Adds to the HF dict what the table does not write."""

    def check(self, config: "Seq2SeqConfig", source: str) -> None:
        """A ConfigError naming `source` for a config this family cannot build."""


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

    @classmethod
    def from_hf_dict(cls, values: dict, dialect: Seq2SeqDialect, source: str = "<dict>") -> "Seq2SeqConfig":
        """Reads an HF `config.json` in `dialect` (the family's table)."""
        model_type = values.get("model_type", "")
        if model_type not in dialect.model_types:
            raise ConfigError(f"{source}: model_type {model_type!r} is not {' or '.join(dialect.model_types)}")
        missing = [k for k in dialect.required if k not in values]
        if missing:
            raise ConfigError(f"{source}: missing required field(s) {', '.join(missing)}")
        known = {ours: values[hf] for hf, ours in {**dialect.fields, **_GENERATION_FIELDS}.items() if hf in values}
        known.setdefault("num_decoder_layers", known["num_layers"])
        dialect.read_extras(values, known, source)
        used = set(dialect.fields) | set(_GENERATION_FIELDS)
        extra = {k: v for k, v in values.items() if k not in used}
        config = cls(family=dialect.family, **known, extra=extra)
        dialect.check(config, source)
        return config

    def to_hf_dict(self, dialect: Seq2SeqDialect) -> dict:
        """The HF config.json for this model (extra fields kept as read)."""
        values = dict(self.extra)
        values.update({hf: getattr(self, ours) for hf, ours in dialect.fields.items()})
        values.update({hf: getattr(self, ours) for hf, ours in _GENERATION_FIELDS.items()})
        dialect.write_extras(self, values)
        return values

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
