"""What T5 v1.1 and Pegasus share as families: HF config.json, HF weight names, the
seq2seq pretraining objective and folder-level behaviour."""

from typing import Iterable, Optional

from clue_tf.families import Family
from clue_tf.models.seq2seq_config import Seq2SeqConfig, Seq2SeqDialect


class Seq2SeqFamily(Family):
    heads = ()
    config_dialects = ("hf",)
    objective_kind = "seq2seq"
    config_table: Seq2SeqDialect = Seq2SeqDialect()  # the family's HF config.json, both ways

    def claims_config(self, values: dict) -> Optional[str]:
        return "hf" if values.get("model_type") in self.config_table.model_types else None

    def read_config(self, values: dict, dialect: str, source: str) -> Seq2SeqConfig:
        return Seq2SeqConfig.from_hf_dict(values, self.config_table, source=source)

    def config_dict(self, config: Seq2SeqConfig, dialect: str) -> dict:
        return config.to_hf_dict(self.config_table)

    def build(self, config: Seq2SeqConfig, heads: tuple = (), num_labels=None, dtype=None):
        raise NotImplementedError


    def describe(self, config: Seq2SeqConfig) -> str:
        return f"a {config.num_layers}-layer {self.name} model"

    def config_from_model(self, model):
        return None

    @staticmethod
    def _has(names: Iterable[str], *prefixes: str) -> bool:
        return any(n.startswith(prefixes) for n in names)
