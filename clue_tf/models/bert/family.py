"""The BERT family record: Google, HF and UER dialects of one post-LN encoder with Google's heads."""

import logging
from typing import Iterable, Optional

from clue_tf.models.bert import names as bert_names
from clue_tf.models.bert.config import KERAS_HUB_FIELDS, BertConfig
from clue_tf.models.encoder_family import EncoderFamily

logger = logging.getLogger(__name__)

# Config fields the checkpoint decides (releases get them wrong), by embedding role.
_SHAPE_FIELDS = {"vocab_size": "word", "type_vocab_size": "segment", "max_position_embeddings": "position"}


class BertFamily(EncoderFamily):
    name = "bert"
    description = "BERT / RoBERTa encoder (Google, CLUE, UER)"
    config_dialects = ("google", "hf", "uer")
    hf_class_prefix = "Bert"
    tf1_dialect = "google"
    keras_hub_backbone = "BertBackbone"
    keras_hub_fields = KERAS_HUB_FIELDS
    keras_hub_masked_lm = ("BertMaskedLM", "BertMaskedLMPreprocessor")
    bundle_config_names = ("bert_config.json", "bert_config*.json", "*config*.json")
    bundle_files = ("bert_model.ckpt", "bert_config.json")

    def claims_config(self, values: dict) -> Optional[str]:
        if values.get("class_name") == "BertBackbone":
            return "keras_hub"
        if "model_type" in values:
            return "hf" if values["model_type"] == "bert" else None
        if "layers_num" in values and values.get("encoder", "transformer") == "transformer":
            return "uer"
        if "num_hidden_layers" in values and not {"embedding_size", "num_hidden_groups"} & set(values) and not (
                values.get("use_relative_position") or "max_relative_position" in values):  # NEZHA's
            return "google"
        return None

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if kind == "keras_hub":
            return "keras_hub" if "transformer_layer_0/self_attention_layer/query/kernel" in names else None
        if "bert/encoder/layer_0/attention/self/query/kernel" in names and "bert/embeddings/position_embeddings" in names:
            return "google"  # without a position table: RoFormer's or NEZHA's
        if names & {"embedding.word.embedding.weight", "embedding.word_embedding.weight"} and any(
                n.startswith("encoder.transformer.") for n in names):
            return "uer"
        if names & {"bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"} and not any(
                n.startswith("bert.encoder.albert_layer_groups") for n in names):
            return "hf"
        return None

    def canonical_name(self, name: str, dialect: str) -> str:
        return bert_names.canonical_name(name, dialect)

    def read_config(self, values: dict, dialect: str, source: str) -> BertConfig:
        if dialect == "keras_hub":
            values = self.keras_hub_values(values)
            values["attention_probs_dropout_prob"] = values.get("hidden_dropout_prob", 0.1)
            dialect = "google"  # keras-hub's BertBackbone computes Google's tanh GELU
        return BertConfig.from_dict(values, source=source, dialect=dialect)

    def config_dict(self, config: BertConfig, dialect: str) -> dict:
        return config.to_dict(dialect)

    def fit_config(self, config: BertConfig, shapes: dict, dialect: str, source: str) -> BertConfig:
        """Vocab, segment and position sizes from the embedding tables (warned when the config
        differs: RoBERTa-large-clue says 21128 beside 8,021 rows)."""
        values = config.to_dict("google")
        rows = {row.keras: row for row in bert_names.bert_rows(0, dialect)}
        paths = {"word": "token_embedding/embeddings", "segment": "segment_embedding/embeddings",
                 "position": "position_embedding/embeddings"}
        changed = False
        for field_name, role in _SHAPE_FIELDS.items():
            row = rows[paths[role]]
            if row.name not in shapes:
                continue  # the strict load names it
            size = int(shapes[row.name][0]) - row.layout.pad_rows
            if values[field_name] != size:
                if values[field_name]:  # UER configs have no vocab size to disagree with
                    logger.warning("%s: %s is %s but the checkpoint's %s has %d rows; using %d", source,
                                   field_name, values[field_name], row.name, size, size)
                values[field_name] = size
                changed = True
        return BertConfig.from_dict(values, source=source) if changed else config

    def encoder_class(self):
        from clue_tf.models.bert.backbone import BertEncoder

        return BertEncoder

    def build_encoder(self, config: BertConfig, dtype=None, **options):
        return self.encoder_class().from_bert_config(config, dtype=dtype, **options)

    def encoder_config(self, encoder) -> BertConfig:
        return encoder.bert_config()

    def keras_hub_problems(self, config: BertConfig, allow_gelu_approximation: bool = False) -> list[str]:
        if config.hidden_act == "gelu_tanh" or (config.hidden_act == "gelu_erf" and allow_gelu_approximation):
            return []
        return [f"its activation is {config.hidden_act}; keras-hub's BertBackbone computes tanh-approximate GELU"
                + (" (--allow_gelu_approximation writes it anyway)" if config.hidden_act == "gelu_erf" else "")]

    def rows(self, config: BertConfig, dialect: str) -> list:
        return bert_names.bert_rows(config.num_hidden_layers, dialect)

    def aliases(self, dialect: str) -> dict:
        return bert_names.ALIASES[dialect]

    def count_parameters(self, config: BertConfig) -> int:
        """Encoder + pooler parameters (no MLM/NSP head)."""
        h, i = config.hidden_size, config.intermediate_size
        embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * h + 2 * h
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return embeddings + config.num_hidden_layers * layer + h * h + h

    def describe(self, config: BertConfig) -> str:
        return f"a {config.num_hidden_layers}-layer bert model"


BERT = BertFamily()
