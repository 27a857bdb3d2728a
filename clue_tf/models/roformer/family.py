"""The RoFormer family record: Zhuiyi's bert4keras TF1 bundles and HF RoFormer folders."""

import dataclasses
import logging
from typing import Iterable, Optional

from clue_tf.models.encoder_family import EncoderFamily
from clue_tf.models.roformer import names as roformer_names
from clue_tf.models.roformer.config import RoFormerConfig

logger = logging.getLogger(__name__)

_GOOGLE_QUERY = "bert/encoder/layer_0/attention/self/query/kernel"
_SHAPE_FIELDS = {"vocab_size": ("token_embedding/embeddings", 0), "embedding_size": ("token_embedding/embeddings", 1),
                 "type_vocab_size": ("segment_embedding/embeddings", 0)}


def has_no_position_table(names: set) -> bool:
    """BERT's TF1 names without `bert/embeddings/position_embeddings`: RoFormer's or NEZHA's."""
    return _GOOGLE_QUERY in names and "bert/embeddings/position_embeddings" not in names


class RoFormerFamily(EncoderFamily):
    name = "roformer"
    description = "RoFormer encoder, rotary positions (Zhuiyi chinese_roformer, HF RoFormerModel)"
    config_dialects = ("google", "hf")
    hf_class_prefix = "RoFormer"
    hf_head_classes = {(): "Model", ("masked_lm",): "ForMaskedLM"}  # HF's other heads are other architectures
    tf1_dialect = "google"
    bundle_config_names = ("bert_config.json", "roformer_config.json")
    bundle_files = ("bert_model.ckpt", "bert_config.json")

    def claims_config(self, values: dict) -> Optional[str]:
        if "model_type" in values:
            return "hf" if values["model_type"] == "roformer" else None
        return "google" if values.get("model_family") == "roformer" else None

    def accepts_config(self, values: dict, dialect: str) -> bool:
        """Zhuiyi's bundles carry BERT's JSON; NEZHA's say use_relative_position."""
        return dialect == "google" and not ({"use_relative_position", "max_relative_position",
                                             "num_hidden_groups"} & set(values))

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if has_no_position_table(names):
            return "google"
        if kind != "tf1" and ("roformer.embeddings.word_embeddings.weight" in names
                              or {"embeddings.word_embeddings.weight", "encoder.embed_positions.weight"} <= names):
            return "hf"
        return None

    def canonical_name(self, name: str, dialect: str) -> str:
        return roformer_names.canonical_name(name, dialect)

    def read_config(self, values: dict, dialect: str, source: str) -> RoFormerConfig:
        return RoFormerConfig.from_dict({k: v for k, v in values.items() if k != "model_family"}, source, dialect)

    def config_dict(self, config: RoFormerConfig, dialect: str) -> dict:
        values = config.to_dict(dialect)
        if dialect == "google":
            values["model_family"] = "roformer"
        return values

    def fit_config(self, config: RoFormerConfig, shapes: dict, dialect: str, source: str) -> RoFormerConfig:
        """Table sizes and E from the weights; the pooler when the checkpoint has one."""
        rows = {row.keras: row for row in roformer_names.roformer_rows(config, dialect) if isinstance(row.keras, str)}
        changes = {}
        for field_name, (path, axis) in _SHAPE_FIELDS.items():
            name = rows[path].name
            if name in shapes and int(shapes[name][axis]) != getattr(config, field_name):
                if field_name != "embedding_size" or config.embedding_size != config.hidden_size:
                    logger.warning("%s: %s is %s but the checkpoint's %s says %d; using %d", source, field_name,
                                   getattr(config, field_name), name, shapes[name][axis], shapes[name][axis])
                changes[field_name] = int(shapes[name][axis])
        pooler = dialect == "google" and "bert/pooler/dense/kernel" in shapes
        if pooler != config.use_pooler:
            changes["use_pooler"] = pooler
        if not changes:
            return config
        fitted = dataclasses.replace(config, **changes)
        fitted.validate(source)
        return fitted

    def max_positions(self, config) -> Optional[int]:
        return None  # rotary: no table

    def encoder_class(self):
        from clue_tf.models.roformer.backbone import RoFormerEncoder

        return RoFormerEncoder

    def build_encoder(self, config: RoFormerConfig, dtype=None, **options):
        return self.encoder_class().from_roformer_config(config, dtype=dtype, **options)

    def encoder_config(self, encoder) -> RoFormerConfig:
        return encoder.roformer_config()

    def keras_hub_problems(self, config, allow_gelu_approximation: bool = False) -> list[str]:
        return ["keras-hub has RoFormer V2 only (no biases, RMS norms); this is RoFormer V1"]

    def rows(self, config: RoFormerConfig, dialect: str) -> list:
        return roformer_names.roformer_rows(config, dialect)

    def aliases(self, dialect: str) -> dict:
        return roformer_names.ALIASES[dialect]

    def count_parameters(self, config: RoFormerConfig) -> int:
        """Encoder parameters (+ the pooler when it has one; no heads)."""
        e, h, i = config.embedding_size, config.hidden_size, config.intermediate_size
        embeddings = (config.vocab_size + config.type_vocab_size) * e + 2 * e + (e * h + h if e != h else 0)
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return embeddings + config.num_hidden_layers * layer + (h * h + h if config.use_pooler else 0)

    def describe(self, config: RoFormerConfig) -> str:
        return f"a {config.num_hidden_layers}-layer RoFormer model"


ROFORMER = RoFormerFamily()
