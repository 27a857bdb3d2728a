"""RoFormer's encoder: BERT's without a position table, keras-hub's RotaryEmbedding inside
each layer's attention, an optional E->H projection and an optional pooler."""

import keras

from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.config_fields import arguments_from, fields_from
from clue_tf.models.roformer.config import ENCODER_FIELDS, RoFormerConfig


@keras.saving.register_keras_serializable(package="clue_tf")
class RoFormerEncoder(BertEncoder):
    """Inputs and outputs as BertEncoder's (pooled_output: the first token's vector without a pooler)."""

    def __init__(self, *args, **kwargs):
        for fixed in ("num_task_types", "layer_norm_epsilon", "position_encoding", "max_relative_position"):
            kwargs.pop(fixed, None)  # from get_config: RoFormer's are fixed
        super().__init__(*args, position_encoding="rotary", **{"name": "roformer_encoder", **kwargs})

    def roformer_config(self) -> RoFormerConfig:
        arguments = {name: getattr(self, name) for name in ENCODER_FIELDS}
        arguments["embedding_dim"] = arguments["embedding_dim"] or self.hidden_dim
        return RoFormerConfig(**fields_from(arguments, ENCODER_FIELDS), attention_probs_dropout_prob=self.dropout)

    @classmethod
    def from_roformer_config(cls, config: RoFormerConfig, **kwargs) -> "RoFormerEncoder":
        return cls(**arguments_from(config, ENCODER_FIELDS), **kwargs)
