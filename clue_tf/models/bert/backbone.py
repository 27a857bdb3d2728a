"""The BERT-family encoder as a Keras 3 functional model built from keras-hub layers.

It follows keras-hub's `BertBackbone` layer for layer (keras-hub's TransformerEncoder,
ReversibleEmbedding and PositionEmbedding, LayerNorm epsilon 1e-12) and adds what the
original checkpoints need: the config's activation (tanh-approximate or exact GELU, as the
config's dialect says; see config.py), the config's initializer range, and every layer's
output. Options for the families built on it: an embedding width below the hidden width
with a projection after the embedding LayerNorm (ELECTRA), a task-type table (ERNIE 3.0),
positions inside attention instead of a table (RoFormer's rotary, NEZHA's relative),
another LayerNorm epsilon (ERNIE: 1e-5), no pooler (ELECTRA pools the first token), a last
layer that computes the first token only (classifiers, models/first_token.py). keras-hub's
TransformerEncoder has one dropout rate, so `hidden_dropout_prob` serves for attention
too; every published config sets both to 0.1.
"""

import keras
import keras_hub
from keras import ops
from keras_hub.layers import PositionEmbedding, ReversibleEmbedding, TransformerEncoder

from clue_tf.errors import ConfigError
from clue_tf.models.activations import KERAS_ACTIVATIONS as ACTIVATIONS
from clue_tf.models.bert.config import ENCODER_FIELDS, BertConfig
from clue_tf.models.config_fields import arguments_from, fields_from
from clue_tf.models.dropout import use_bit_mask_dropout
from clue_tf.models.first_token import compute_first_token_only
from clue_tf.models.fused_attention import use_fused_attention
from clue_tf.models.layer_norm import use_fused_layer_norm
from clue_tf.models.projections import use_matmul_projections
from clue_tf.models.position_attention import POSITION_ENCODINGS, PositionalTransformerEncoder
# Names .keras files saved by clue-tf 0.1 carry (Google's dialect).
_LEGACY_ACTIVATIONS = {"gelu": "gelu_tanh", "gelu_new": "gelu_tanh", "gelu_exact": "gelu_erf"}


@keras.saving.register_keras_serializable(package="clue_tf")
class TaskTypeEmbedding(keras.layers.Embedding):
    """ERNIE 3.0's task-type table, read at task type 0 for every token (HF's default)."""

    def call(self, tokens):
        return ops.zeros_like(tokens) + ops.cast(self.embeddings[0], tokens.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def build(self, input_shape=None):
        super().build(None)


@keras.saving.register_keras_serializable(package="clue_tf")
class BertEncoder(keras_hub.models.Backbone):
    """BERT encoder: token/segment/position embeddings, post-LN Transformer layers, pooler.

    Inputs: `token_ids`, `segment_ids`, `padding_mask` (int32, 1 for real tokens).
    Outputs: `sequence_output`, `pooled_output` (first token -> dense -> tanh) and
    `encoder_outputs`, the output of every Transformer layer. `first_token_only`: the last
    layer computes the first token alone, so `sequence_output` and the last of
    `encoder_outputs` are one token long (for classifiers; the pooled output is the same).
    """

    def __init__(
        self,
        vocabulary_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        intermediate_dim: int,
        hidden_act: str = "gelu_tanh",
        dropout: float = 0.1,
        max_sequence_length: int = 512,
        num_segments: int = 2,
        initializer_range: float = 0.02,
        embedding_dim=None,
        layer_norm_epsilon: float = 1e-12,
        num_task_types: int = 0,
        use_pooler: bool = True,
        position_encoding: str = "absolute",
        max_relative_position: int = 64,
        first_token_only: bool = False,
        dtype=None,
        **kwargs,
    ):
        hidden_act = _LEGACY_ACTIVATIONS.get(hidden_act, hidden_act)
        if hidden_act not in ACTIVATIONS:
            raise ConfigError(f"hidden_act {hidden_act!r} is not one of {sorted(ACTIVATIONS)}")
        initializer = lambda: keras.initializers.TruncatedNormal(stddev=initializer_range)  # noqa: E731
        # === Layers ===
        width = embedding_dim or hidden_dim
        self.token_embedding = ReversibleEmbedding(
            vocabulary_size, width, embeddings_initializer=initializer(),
            dtype=dtype, name="token_embedding")
        if position_encoding not in POSITION_ENCODINGS:
            raise ConfigError(f"position_encoding {position_encoding!r} is not one of {POSITION_ENCODINGS}")
        self.position_embedding = None
        if position_encoding == "absolute":
            self.position_embedding = PositionEmbedding(
                sequence_length=max_sequence_length, initializer=initializer(),
                dtype=dtype, name="position_embedding")
        self.segment_embedding = keras.layers.Embedding(
            num_segments, width, embeddings_initializer=initializer(),
            dtype=dtype, name="segment_embedding")
        self.task_type_embedding = None
        if num_task_types:  # ERNIE 3.0: task type 0, HF's default when no task id is given
            self.task_type_embedding = TaskTypeEmbedding(
                num_task_types, width, embeddings_initializer=initializer(), dtype=dtype,
                name="task_type_embedding")
        self.embeddings_add = keras.layers.Add(dtype=dtype, name="embeddings_add")
        self.embeddings_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="embeddings_layer_norm")
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.embedding_projection = None
        if width != hidden_dim:
            self.embedding_projection = keras.layers.Dense(
                hidden_dim, kernel_initializer=initializer(), dtype=dtype, name="embedding_projection")
        layer_class, positions = TransformerEncoder, {}
        if position_encoding != "absolute":  # RoFormer, NEZHA: positions inside attention
            layer_class = PositionalTransformerEncoder
            positions = dict(position_encoding=position_encoding, max_relative_position=max_relative_position)
        self.transformer_layers = [
            layer_class(
                num_heads=num_heads, intermediate_dim=intermediate_dim,
                activation=ACTIVATIONS[hidden_act], dropout=dropout, layer_norm_epsilon=layer_norm_epsilon,
                kernel_initializer=initializer(), dtype=dtype, name=f"transformer_layer_{i}", **positions)
            for i in range(num_layers)
        ]
        if first_token_only:
            compute_first_token_only(self.transformer_layers[-1])
        self.pooled_dense = None
        if use_pooler:
            self.pooled_dense = keras.layers.Dense(
                hidden_dim, activation="tanh", kernel_initializer=initializer(),
                dtype=dtype, name="pooled_dense")

        # === Functional model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        x = self.embed(token_ids, segment_ids)
        if self.embedding_projection is not None:
            x = self.embedding_projection(x)
        encoder_outputs = []
        for layer in self.transformer_layers:
            x = layer(x, padding_mask=padding_mask)
            encoder_outputs.append(x)
        super().__init__(
            inputs={"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
            outputs={
                "sequence_output": x,
                "pooled_output": self.pooled_dense(x[:, 0, :]) if use_pooler else x[:, 0, :],
                "encoder_outputs": encoder_outputs,
            },
            dtype=dtype,
            **{"name": "bert_encoder", **kwargs},
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.hidden_act = hidden_act
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.initializer_range = initializer_range
        self.embedding_dim = embedding_dim
        self.layer_norm_epsilon = layer_norm_epsilon
        self.num_task_types = num_task_types
        self.use_pooler = use_pooler
        self.position_encoding = position_encoding
        self.max_relative_position = max_relative_position
        self.first_token_only = first_token_only
        use_bit_mask_dropout(self)  # the cheaper dropout mask; the config stays Keras's
        use_matmul_projections(self)  # projections and dense layers as 2-D matmuls, as Google's
        use_fused_attention(self)  # query, key and value as one matmul; two head transposes a layer
        use_fused_layer_norm(self)  # oneDNN's one-pass LayerNorm on CPUs

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "hidden_act": self.hidden_act,
            "dropout": self.dropout,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
            "initializer_range": self.initializer_range,
            "embedding_dim": self.embedding_dim,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "num_task_types": self.num_task_types,
            "use_pooler": self.use_pooler,
            "position_encoding": self.position_encoding,
            "max_relative_position": self.max_relative_position,
            "first_token_only": self.first_token_only,
        })
        return config

    def embed(self, token_ids, segment_ids):
        """The normalised embeddings at the embedding width (before any projection); the
        ELECTRA generator shares them."""
        tokens = self.token_embedding(token_ids)
        parts = [tokens, self.segment_embedding(segment_ids)]
        if self.position_embedding is not None:
            parts.insert(1, self.position_embedding(tokens))
        if self.task_type_embedding is not None:
            parts.append(self.task_type_embedding(tokens))
        return self.embeddings_dropout(self.embeddings_layer_norm(self.embeddings_add(parts)))

    def bert_config(self) -> BertConfig:
        """The BertConfig that describes this encoder (one dropout rate for both of Google's)."""
        arguments = {name: getattr(self, name) for name in ENCODER_FIELDS}
        return BertConfig(**fields_from(arguments, ENCODER_FIELDS), attention_probs_dropout_prob=self.dropout)

    @classmethod
    def from_bert_config(cls, config: BertConfig, **kwargs) -> "BertEncoder":
        """The encoder a BertConfig describes."""
        return cls(**arguments_from(config, ENCODER_FIELDS), **kwargs)
