"""ERNIE 3.0's encoder: BERT's, plus the task-type table, with ERNIE's LayerNorm epsilon."""

import keras

from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.config_fields import arguments_from, fields_from
from clue_tf.models.ernie.config import ENCODER_FIELDS, ErnieConfig


@keras.saving.register_keras_serializable(package="clue_tf")
class ErnieEncoder(BertEncoder):
    """Inputs and outputs as BertEncoder's; every token reads task type 0 (HF's default)."""

    def __init__(self, *args, **kwargs):
        for fixed in ("use_pooler", "embedding_dim", "position_encoding", "max_relative_position"):
            kwargs.pop(fixed, None)  # from get_config: ERNIE's are fixed
        super().__init__(*args, **{"name": "ernie_encoder", **kwargs})

    def ernie_config(self) -> ErnieConfig:
        arguments = {name: getattr(self, name) for name in ENCODER_FIELDS}
        return ErnieConfig(**fields_from(arguments, ENCODER_FIELDS), attention_probs_dropout_prob=self.dropout,
                           use_task_id=bool(self.num_task_types), task_type_vocab_size=self.num_task_types or 3)

    @classmethod
    def from_ernie_config(cls, config: ErnieConfig, **kwargs) -> "ErnieEncoder":
        return cls(**arguments_from(config, ENCODER_FIELDS), num_task_types=config.num_task_types, **kwargs)
