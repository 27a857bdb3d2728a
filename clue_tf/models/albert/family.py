"""The ALBERT family record: Google's and brightmart's TF1 layouts, HF's names, BERT's heads."""

import dataclasses
import logging
from typing import Iterable, Optional

from clue_tf.errors import ConfigError
from clue_tf.models.albert import names as albert_names
from clue_tf.models.albert.config import KERAS_HUB_FIELDS, AlbertConfig
from clue_tf.models.encoder_family import EncoderFamily

logger = logging.getLogger(__name__)

_GOOGLE_MARK = "bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel"
_BRIGHTMART_MARK = "bert/encoder/layer_shared/attention/self/query/kernel"
_HF_MARK = "albert.embeddings.word_embeddings.weight"


class AlbertFamily(EncoderFamily):
    """Google's heads; next_sentence is the SOP head (same names and shapes)."""

    name = "albert"
    description = "ALBERT encoder (Google albert_*_zh, brightmart albert_zh)"
    config_dialects = ("google", "hf")
    hf_class_prefix = "Albert"
    tf1_dialect = "google"
    keras_hub_backbone = "AlbertBackbone"
    keras_hub_fields = KERAS_HUB_FIELDS
    bundle_config_names = ("albert_config.json", "albert_config*.json")
    bundle_files = ("albert_model.ckpt", "albert_config.json")  # brightmart's names; Google's: model.ckpt-best

    def claims_config(self, values: dict) -> Optional[str]:
        if values.get("class_name") == "AlbertBackbone":
            return "keras_hub"
        if "model_type" in values:
            return "hf" if values["model_type"] == "albert" else None
        if "num_hidden_layers" in values and {"embedding_size", "num_hidden_groups"} & set(values):
            return "google"
        return None

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if kind == "keras_hub":
            return "keras_hub" if "group_0_inner_layer_0/self_attention_layer/query/kernel" in names else None
        if _GOOGLE_MARK in names:
            return "google"
        if _BRIGHTMART_MARK in names or "bert/embeddings/word_embeddings_2" in names:
            return "brightmart"
        if _HF_MARK in names:
            return "hf"
        return None

    def read_config(self, values: dict, dialect: str, source: str) -> AlbertConfig:
        if dialect == "keras_hub":  # keras-hub's AlbertBackbone: Google's layout, tanh GELU
            values = self.keras_hub_values(values)
            values["hidden_act"], dialect = "gelu", "google"
        return AlbertConfig.from_dict(values, source=source, dialect=dialect)

    def tf1_dialect_for(self, config: AlbertConfig) -> str:
        return "brightmart" if config.layout == "brightmart" else "google"

    def config_dict(self, config: AlbertConfig, dialect: str) -> dict:
        if dialect == "hf" and (config.layout != "google" or config.embedding_size == config.hidden_size):
            what = "brightmart's layout (projection before the LayerNorm)" if config.layout != "google" else "E == H"
            raise ConfigError(f"this ALBERT has no HF form: HF's AlbertModel has Google's layout with E != H "
                              f"only, and this model has {what}; use --output_format=bundle (the TF1 layout "
                              "its release uses, which bert4keras and brightmart's code read too)")
        return config.to_dict(dialect)

    def fit_config(self, config: AlbertConfig, shapes: dict, dialect: str, source: str) -> AlbertConfig:
        """Layout from the names; vocab, E, position and type sizes from the tables (warned
        where the config says otherwise)."""
        changes = {"layout": "brightmart" if dialect == "brightmart" else "google"}
        table = albert_names._NAMES[dialect]
        if "word" not in table or table["word"][0] not in shapes:
            return dataclasses.replace(config, **changes)
        sizes = {"vocab_size": ("word", 0), "embedding_size": ("word", 1),
                 "type_vocab_size": ("segment", 0), "max_position_embeddings": ("position", 0)}
        for field_name, (role, axis) in sizes.items():
            name = table[role][0]
            if name in shapes and int(shapes[name][axis]) != getattr(config, field_name):
                size = int(shapes[name][axis])
                logger.warning("%s: %s is %s but the checkpoint's %s says %d; using %d", source, field_name,
                               getattr(config, field_name), name, size, size)
                changes[field_name] = size
        fitted = dataclasses.replace(config, **changes)
        fitted.validate(source)
        return fitted

    def encoder_class(self):
        from clue_tf.models.albert.backbone import AlbertEncoder

        return AlbertEncoder

    def build_encoder(self, config: AlbertConfig, dtype=None, first_token_only: bool = False):
        from clue_tf.models.dropout import use_bit_mask_dropout
        from clue_tf.models.fused_attention import use_fused_attention
        from clue_tf.models.layer_norm import use_fused_layer_norm
        from clue_tf.models.projections import use_matmul_projections

        encoder = self.encoder_class().from_albert_config(config, dtype=dtype, first_token_only=first_token_only)
        return use_fused_layer_norm(use_fused_attention(use_matmul_projections(use_bit_mask_dropout(encoder))))

    def encoder_config(self, encoder) -> AlbertConfig:
        return encoder.albert_config()

    def keras_hub_problems(self, config: AlbertConfig, allow_gelu_approximation: bool = False) -> list[str]:
        """keras-hub's AlbertBackbone is Google's layout with E != H, tanh GELU, L a multiple of G."""
        problems = []
        if config.layout != "google":
            problems.append("brightmart's layout (projection before the LayerNorm)")
        if config.embedding_size == config.hidden_size:
            problems.append("E == H (keras-hub always projects)")
        if config.hidden_act != "gelu_tanh":
            problems.append(f"{config.hidden_act} (keras-hub's AlbertBackbone is tanh GELU only; "
                            "Google's Chinese ALBERTs use relu)")
        if config.num_hidden_layers % config.num_hidden_groups:
            problems.append("layers not a multiple of groups")
        if config.ln_type != "postln":
            problems.append("pre-LN")
        return problems

    def rows(self, config: AlbertConfig, dialect: str) -> list:
        return albert_names.albert_rows(config, dialect)

    def aliases(self, dialect: str) -> dict:
        return albert_names.ALIASES[dialect]

    def count_parameters(self, config: AlbertConfig) -> int:
        """Encoder + pooler parameters, counted from the shapes each layout stores."""
        e, h, i = config.embedding_size, config.hidden_size, config.intermediate_size
        width = e if config.layout == "google" else h
        embeddings = config.vocab_size * e + (config.max_position_embeddings + config.type_vocab_size) * width
        embeddings += 2 * width
        if config.layout == "brightmart":
            embeddings += e * h
        elif e != h:
            embeddings += e * h + h
        block = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        blocks = len(config.used_groups()) * config.inner_group_num
        return embeddings + blocks * block + h * h + h

    def describe(self, config: AlbertConfig) -> str:
        return (f"a {config.layout}-layout ALBERT with {len(config.used_groups())} group(s) of "
                f"{config.inner_group_num} block(s)")


ALBERT = AlbertFamily()
