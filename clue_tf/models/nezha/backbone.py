"""NEZHA's encoder: BERT's without a position table, with relative positions in attention."""

import keras

from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.config_fields import arguments_from, fields_from
from clue_tf.models.nezha.config import ENCODER_FIELDS, NezhaConfig


@keras.saving.register_keras_serializable(package="clue_tf")
class NezhaEncoder(BertEncoder):
    """Inputs and outputs as BertEncoder's."""

    def __init__(self, *args, **kwargs):
        for fixed in ("num_task_types", "layer_norm_epsilon", "position_encoding", "embedding_dim", "use_pooler"):
            kwargs.pop(fixed, None)  # from get_config: NEZHA's are fixed
        super().__init__(*args, position_encoding="relative", **{"name": "nezha_encoder", **kwargs})

    def nezha_config(self) -> NezhaConfig:
        arguments = {name: getattr(self, name) for name in ENCODER_FIELDS}
        return NezhaConfig(**fields_from(arguments, ENCODER_FIELDS), attention_probs_dropout_prob=self.dropout)

    @classmethod
    def from_nezha_config(cls, config: NezhaConfig, **kwargs) -> "NezhaEncoder":
        return cls(**arguments_from(config, ENCODER_FIELDS), **kwargs)
