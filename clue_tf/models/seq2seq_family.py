"""What T5 v1.1 and Pegasus share as families: HF config.json, HF weight names, the
seq2seq pretraining objective and folder-level behaviour."""

from typing import Iterable, Optional

from clue_tf.families import Family
from clue_tf.models.seq2seq_config import Seq2SeqConfig


class Seq2SeqFamily(Family):
    heads = ()
    config_dialects = ("hf",)
    model_types: tuple = ()

    def claims_config(self, values: dict) -> Optional[str]:
        return "hf" if values.get("model_type") in self.model_types else None

    def read_config(self, values: dict, dialect: str, source: str) -> Seq2SeqConfig:
        return Seq2SeqConfig.from_hf_dict(values, source=source)

    def config_dict(self, config: Seq2SeqConfig, dialect: str) -> dict:
        return config.to_hf_dict()

    def build(self, config: Seq2SeqConfig, heads: tuple = (), num_labels=None, dtype=None):
        raise NotImplementedError

    def objective(self, settings, config, vocab):
        from clue_tf.training.objectives import Seq2SeqObjective

        return Seq2SeqObjective(settings, self, config, vocab)

    def describe(self, config: Seq2SeqConfig) -> str:
        return f"a {config.num_layers}-layer {self.name} model"

    def config_from_model(self, model):
        return None

    @staticmethod
    def _has(names: Iterable[str], *prefixes: str) -> bool:
        return any(n.startswith(prefixes) for n in names)
