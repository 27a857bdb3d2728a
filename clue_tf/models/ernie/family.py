"""The ERNIE 3.0 family record: HF's ErnieModel folders (nghuyong/ernie-3.0-*-zh), BERT's heads."""

import dataclasses
import logging
from typing import Iterable, Optional

from clue_tf.models.encoder_family import EncoderFamily
from clue_tf.models.ernie import names as ernie_names
from clue_tf.models.ernie.config import ErnieConfig

logger = logging.getLogger(__name__)

_SHAPE_FIELDS = {"vocab_size": "ernie.embeddings.word_embeddings.weight",
                 "type_vocab_size": "ernie.embeddings.token_type_embeddings.weight",
                 "max_position_embeddings": "ernie.embeddings.position_embeddings.weight",
                 "task_type_vocab_size": ernie_names.TASK_TYPE}


class ErnieFamily(EncoderFamily):
    """Published as Paddle and HF folders only: HF is its native format (no TF1 layout)."""

    name = "ernie"
    description = "ERNIE 3.0 zh encoder (HF ErnieModel folders)"
    config_dialects = ("hf",)
    hf_class_prefix = "Ernie"
    tf1_dialect = None
    native_format = "hf"

    def claims_config(self, values: dict) -> Optional[str]:
        return "hf" if values.get("model_type") == "ernie" else None

    def weight_dialect(self, names: Iterable[str], kind: str) -> Optional[str]:
        names = set(names)
        if "ernie.embeddings.word_embeddings.weight" in names or "embeddings.task_type_embeddings.weight" in names:
            return "hf"
        return None

    def canonical_name(self, name: str, dialect: str) -> str:
        return ernie_names.canonical_name(name)

    def read_config(self, values: dict, dialect: str, source: str) -> ErnieConfig:
        return ErnieConfig.from_dict(values, source=source)

    def config_dict(self, config: ErnieConfig, dialect: str) -> dict:
        return config.to_dict()

    def fit_config(self, config: ErnieConfig, shapes: dict, dialect: str, source: str) -> ErnieConfig:
        """Table sizes from the weights (warned where the config differs)."""
        changes = {}
        for field_name, name in _SHAPE_FIELDS.items():
            if name in shapes and int(shapes[name][0]) != getattr(config, field_name):
                logger.warning("%s: %s is %s but the checkpoint's %s has %d rows; using %d", source, field_name,
                               getattr(config, field_name), name, shapes[name][0], shapes[name][0])
                changes[field_name] = int(shapes[name][0])
        if ernie_names.TASK_TYPE in shapes and not config.use_task_id:
            logger.warning("%s: use_task_id is false but the checkpoint has %s; using it", source,
                           ernie_names.TASK_TYPE)
            changes["use_task_id"] = True
        return dataclasses.replace(config, **changes) if changes else config

    def encoder_class(self):
        from clue_tf.models.ernie.backbone import ErnieEncoder

        return ErnieEncoder

    def build_encoder(self, config: ErnieConfig, dtype=None, **options):
        return self.encoder_class().from_ernie_config(config, dtype=dtype, **options)

    def encoder_config(self, encoder) -> ErnieConfig:
        return encoder.ernie_config()

    def keras_hub_problems(self, config, allow_gelu_approximation: bool = False) -> list[str]:
        return ["keras-hub has no ERNIE backbone"]

    def rows(self, config: ErnieConfig, dialect: str) -> list:
        return ernie_names.ernie_rows(config)

    def aliases(self, dialect: str) -> dict:
        return ernie_names.ALIASES["hf"]

    def count_parameters(self, config: ErnieConfig) -> int:
        """Encoder + pooler parameters (no MLM/NSP head)."""
        h, i = config.hidden_size, config.intermediate_size
        tables = config.vocab_size + config.max_position_embeddings + config.type_vocab_size + config.num_task_types
        layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return tables * h + 2 * h + config.num_hidden_layers * layer + h * h + h

    def describe(self, config: ErnieConfig) -> str:
        return f"a {config.num_hidden_layers}-layer ERNIE model"


ERNIE = ErnieFamily()
