"""The NEZHA family record: Huawei's TF1 release (BERT's names without a position table)."""

import logging
from typing import Iterable, Optional

from clue_tf.models.bert import names as bert_names
from clue_tf.models.encoder_family import EncoderFamily
from clue_tf.models.nezha.config import NezhaConfig, is_nezha_config

logger = logging.getLogger(__name__)


class NezhaFamily(EncoderFamily):
    """transformers 5 has no NEZHA: the TF1 bundle is its one form."""

    name = "nezha"
    description = "NEZHA encoder, functional relative positions (Huawei NEZHA-TensorFlow)"
    config_dialects = ("google",)
    tf1_dialect = "google"
    bundle_config_names = ("bert_config.json", "nezha_config.json")
    bundle_files = ("model.ckpt", "bert_config.json")

    def claims_config(self, values: dict) -> Optional[str]:
        if "model_type" in values:
            return None
        if values.get("model_family") == "nezha" or ("num_hidden_layers" in values and is_nezha_config(values)):
            return "google"
        return None

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if ("bert/encoder/layer_0/attention/self/query/kernel" in names
                and "bert/embeddings/position_embeddings" not in names):
            return "google"
        return None

    def read_config(self, values: dict, dialect: str, source: str) -> NezhaConfig:
        return NezhaConfig.from_dict({k: v for k, v in values.items() if k != "model_family"}, source)

    def config_dict(self, config: NezhaConfig, dialect: str) -> dict:
        return config.to_dict()

    def fit_config(self, config: NezhaConfig, shapes: dict, dialect: str, source: str) -> NezhaConfig:
        from clue_tf.models.bert.config import BertConfig
        from clue_tf.models.bert.family import BERT

        bert_like = BertConfig.from_dict({k: v for k, v in config.to_dict().items() if k in BertConfig.field_names()})
        fitted = BERT.fit_config(bert_like, shapes, dialect, source)
        if fitted is bert_like:
            return config
        return NezhaConfig.from_dict({**config.to_dict(), "vocab_size": fitted.vocab_size,
                                      "type_vocab_size": fitted.type_vocab_size}, source)

    def max_positions(self, config) -> Optional[int]:
        return None  # relative: no table

    def encoder_class(self):
        from clue_tf.models.nezha.backbone import NezhaEncoder

        return NezhaEncoder

    def build_encoder(self, config: NezhaConfig, dtype=None, **options):
        return self.encoder_class().from_nezha_config(config, dtype=dtype, **options)

    def encoder_config(self, encoder) -> NezhaConfig:
        return encoder.nezha_config()

    def keras_hub_problems(self, config, allow_gelu_approximation: bool = False) -> list[str]:
        return ["keras-hub has no NEZHA (relative positions on keys and values)"]

    def rows(self, config: NezhaConfig, dialect: str) -> list:
        return [row for row in bert_names.bert_rows(config.num_hidden_layers, dialect)
                if row.keras != "position_embedding/embeddings"]

    def aliases(self, dialect: str) -> dict:
        return bert_names.ALIASES[dialect]

    def count_parameters(self, config: NezhaConfig) -> int:
        """Encoder + pooler parameters (no heads; the relative table is computed)."""
        h, i = config.hidden_size, config.intermediate_size
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return (config.vocab_size + config.type_vocab_size) * h + 2 * h + config.num_hidden_layers * layer + h * h + h

    def describe(self, config: NezhaConfig) -> str:
        return f"a {config.num_hidden_layers}-layer NEZHA model"


NEZHA = NezhaFamily()
