"""The Pegasus family record (HF folders)."""

from typing import Iterable, Optional

from clue_tf.models.pegasus import names as pegasus_names
from clue_tf.models.pegasus.config import PEGASUS_CONFIG
from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.models.seq2seq_family import Seq2SeqFamily


class PegasusFamily(Seq2SeqFamily):
    record_kind = "gap_sentences"
    name = "pegasus"
    description = "Pegasus encoder-decoder (UER Chinese Pegasus)"
    config_table = PEGASUS_CONFIG

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if "model.shared.weight" in names and self._has(names, "model.encoder.layers."):
            return "hf"
        return None

    def build(self, config: Seq2SeqConfig, heads: tuple = (), num_labels=None, dtype=None,
              first_token_only: bool = False):
        from clue_tf.models.pegasus.backbone import pegasus_seq2seq_lm

        from clue_tf.models.dropout import use_bit_mask_dropout

        return use_bit_mask_dropout(pegasus_seq2seq_lm(config, dtype))

    def rows(self, config: Seq2SeqConfig, dialect: str) -> list:
        return pegasus_names.pegasus_rows(config.num_layers)

    def aliases(self, dialect: str) -> dict:
        return pegasus_names.ALIASES["hf"]

    def count_parameters(self, config: Seq2SeqConfig) -> int:
        """Every weight of the published Pegasus (tied head, position tables and
        final_logits_bias included)."""
        d, f, v = config.hidden_dim, config.intermediate_dim, config.vocab_size
        attention = 4 * (d * d + d)
        feedforward = d * f + f + f * d + d
        encoder = config.num_layers * (attention + feedforward + 4 * d)
        decoder = config.num_decoder_layers * (2 * attention + feedforward + 6 * d)
        return v * d + 2 * config.max_position_embeddings * d + encoder + decoder + 4 * d + v


PEGASUS = PegasusFamily()
