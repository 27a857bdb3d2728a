"""ELECTRA's discriminator encoder: BERT's layers at width H on embeddings of width E.

Google's `modeling.py` (scope `electra`): word, position and type tables of width E,
LayerNorm, dropout, then `embeddings_project` E->H when E != H, then BERT's post-LN layers;
no pooler (`get_pooled_output` is the first token's vector). The BertEncoder options give
exactly that, so the class only fixes them and names the config. keras-hub's
ElectraBackbone is not this model: it always projects and adds a tanh pooler Google's lacks.
"""

import keras

from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.config_fields import arguments_from, fields_from
from clue_tf.models.electra.config import ENCODER_FIELDS, ElectraConfig


@keras.saving.register_keras_serializable(package="clue_tf")
class ElectraEncoder(BertEncoder):
    """Inputs and outputs as BertEncoder's; `pooled_output` is the first token's vector."""

    def __init__(self, *args, embedding_dim=None, **kwargs):
        for fixed in ("use_pooler", "num_task_types", "layer_norm_epsilon", "position_encoding", "max_relative_position"):
            kwargs.pop(fixed, None)  # from get_config: ELECTRA's are fixed
        super().__init__(*args, embedding_dim=embedding_dim, use_pooler=False,
                         **{"name": "electra_encoder", **kwargs})

    def electra_config(self, generator: dict | None = None) -> ElectraConfig:
        arguments = {name: getattr(self, name) for name in ENCODER_FIELDS}
        arguments["embedding_dim"] = arguments["embedding_dim"] or self.hidden_dim
        return ElectraConfig(**fields_from(arguments, ENCODER_FIELDS), attention_probs_dropout_prob=self.dropout,
                             **(generator or {}))

    @classmethod
    def from_electra_config(cls, config: ElectraConfig, **kwargs) -> "ElectraEncoder":
        return cls(**arguments_from(config, ENCODER_FIELDS), **kwargs)
