"""The T5 v1.1 family record (HF folders and Google's mesh-TF checkpoints)."""

from typing import Iterable, Optional

from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.models.seq2seq_family import Seq2SeqFamily
from clue_tf.models.t5 import names as t5_names
from clue_tf.models.t5.config import T5_CONFIG


class T5Family(Seq2SeqFamily):
    record_kind = "span_corruption"
    name = "t5"
    description = "T5 v1.1 encoder-decoder (UER Chinese T5)"
    config_table = T5_CONFIG
    tf1_dialect = "mesh"

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if kind == "tf1" and "shared/embedding" in names:
            return "mesh"
        if "shared.weight" in names and self._has(names, "encoder.block."):
            return "hf"
        return None

    def build(self, config: Seq2SeqConfig, heads: tuple = (), num_labels=None, dtype=None,
              first_token_only: bool = False):
        from clue_tf.models.t5.backbone import t5_seq2seq_lm

        from clue_tf.models.dropout import use_bit_mask_dropout

        return use_bit_mask_dropout(t5_seq2seq_lm(config, dtype))

    def max_positions(self, config: Seq2SeqConfig) -> Optional[int]:
        return None  # relative position buckets: any length

    def rows(self, config: Seq2SeqConfig, dialect: str) -> list:
        return t5_names.t5_rows(config.num_layers, dialect)

    def aliases(self, dialect: str) -> dict:
        return t5_names.ALIASES[dialect]

    def count_parameters(self, config: Seq2SeqConfig) -> int:
        """Every weight of the published T5 v1.1 (untied head)."""
        d, f, v = config.hidden_dim, config.intermediate_dim, config.vocab_size
        attention = 4 * d * config.num_heads * config.key_value_dim
        encoder = config.num_layers * (attention + 3 * d * f + 2 * d)
        decoder = config.num_decoder_layers * (2 * attention + 3 * d * f + 3 * d)
        relative_bias = 2 * config.relative_attention_num_buckets * config.num_heads
        return 2 * v * d + encoder + decoder + relative_bias + 2 * d


T5 = T5Family()
