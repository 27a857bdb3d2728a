"""The ALBERT encoder in both published layouts, as a Keras 3 functional model on keras-hub layers.

Google's layout embeds at width E (word, position and type tables, LayerNorm, dropout), then
projects to H with `embedding_hidden_mapping_in` (only when E != H). brightmart's layout
projects the word vectors first (`word_embeddings_2`, no bias), adds position and type
tables of width H, then normalises. Then L layers run the G*K shared blocks as Google
routes them: layer i runs group int(i / L * G), and every inner block of that group in
order; each block is keras-hub's TransformerEncoder (post-LN, or pre-LN with no final
LayerNorm for brightmart's `ln_type: preln`), LayerNorm epsilon 1e-12. Outputs as
BertEncoder's, with every block's output in `encoder_outputs` (L*K entries). With
`first_token_only` (a classifier) the last block's last application computes the first token
only (models/first_token.py); the block itself stays shared and whole.
"""

import keras
import keras_hub
from keras import ops
from keras_hub.layers import PositionEmbedding, ReversibleEmbedding, TransformerEncoder

from clue_tf.errors import ConfigError
from clue_tf.models.activations import KERAS_ACTIVATIONS
from clue_tf.models.albert.config import ENCODER_FIELDS, AlbertConfig
from clue_tf.models.config_fields import arguments_from
from clue_tf.models.first_token import first_token_of


@keras.saving.register_keras_serializable(package="clue_tf")
class ProjectedEmbedding(keras.layers.Layer):
    """brightmart's factorised word embedding: a [V, E] table times an [E, H] projection.

    Forward: table[ids] @ projection. Reverse (the tied MLM decoder): x @ projection.T @
    table.T. keras-hub's MaskedLMHead takes it as its `token_embedding`.
    """

    def __init__(self, input_dim: int, embedding_dim: int, output_dim: int, embeddings_initializer="uniform",
                 **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.embedding_dim, self.output_dim = input_dim, embedding_dim, output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.embedding_dim),
                                          initializer=self.embeddings_initializer)
        self.projection = self.add_weight(name="projection", shape=(self.embedding_dim, self.output_dim),
                                          initializer=self.embeddings_initializer)
        self.built = True

    def call(self, inputs, reverse: bool = False):
        embeddings = ops.cast(self.embeddings, self.compute_dtype)
        projection = ops.cast(self.projection, self.compute_dtype)
        if reverse:
            return ops.matmul(ops.matmul(inputs, ops.transpose(projection)), ops.transpose(embeddings))
        return ops.matmul(ops.take(embeddings, ops.cast(inputs, "int32"), axis=0), projection)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(input_dim=self.input_dim, embedding_dim=self.embedding_dim, output_dim=self.output_dim,
                      embeddings_initializer=keras.initializers.serialize(self.embeddings_initializer))
        return config


@keras.saving.register_keras_serializable(package="clue_tf")
class AlbertEncoder(keras_hub.models.Backbone):
    """ALBERT encoder. Inputs `token_ids`, `segment_ids`, `padding_mask` (1 for real tokens);
    outputs `sequence_output`, `pooled_output`, `encoder_outputs`."""

    def __init__(self, vocabulary_size: int, embedding_dim: int, hidden_dim: int, num_layers: int,
                 num_heads: int, intermediate_dim: int, num_groups: int = 1, num_inner_repetitions: int = 1,
                 hidden_act: str = "gelu_tanh", dropout: float = 0.0, max_sequence_length: int = 512,
                 num_segments: int = 2, initializer_range: float = 0.02, layout: str = "google",
                 normalize_first: bool = False, first_token_only: bool = False, dtype=None, **kwargs):
        if hidden_act not in KERAS_ACTIVATIONS:
            raise ConfigError(f"hidden_act {hidden_act!r} is not one of {sorted(KERAS_ACTIVATIONS)}")
        self._albert = AlbertConfig(
            vocab_size=vocabulary_size, embedding_size=embedding_dim, hidden_size=hidden_dim,
            num_hidden_layers=num_layers, num_hidden_groups=num_groups, inner_group_num=num_inner_repetitions,
            num_attention_heads=num_heads, intermediate_size=intermediate_dim, hidden_act=hidden_act,
            hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
            max_position_embeddings=max_sequence_length, type_vocab_size=num_segments,
            initializer_range=initializer_range, ln_type="preln" if normalize_first else "postln", layout=layout)
        self._albert.validate("AlbertEncoder")
        initializer = lambda: keras.initializers.TruncatedNormal(stddev=initializer_range)  # noqa: E731
        table_width = embedding_dim if layout == "google" else hidden_dim
        # === Layers ===
        if layout == "google":
            self.token_embedding = ReversibleEmbedding(
                vocabulary_size, embedding_dim, embeddings_initializer=initializer(), dtype=dtype,
                name="token_embedding")
        else:
            self.token_embedding = ProjectedEmbedding(
                vocabulary_size, embedding_dim, hidden_dim, embeddings_initializer=initializer(), dtype=dtype,
                name="token_embedding")
        self.position_embedding = PositionEmbedding(
            sequence_length=max_sequence_length, initializer=initializer(), dtype=dtype, name="position_embedding")
        self.segment_embedding = keras.layers.Embedding(
            num_segments, table_width, embeddings_initializer=initializer(), dtype=dtype, name="segment_embedding")
        self.embeddings_add = keras.layers.Add(dtype=dtype, name="embeddings_add")
        self.embeddings_layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, dtype=dtype, name="embeddings_layer_norm")
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.embedding_projection = None
        if layout == "google" and embedding_dim != hidden_dim:
            self.embedding_projection = keras.layers.Dense(
                hidden_dim, kernel_initializer=initializer(), dtype=dtype, name="embedding_projection")
        blocks = {
            (g, k): TransformerEncoder(
                num_heads=num_heads, intermediate_dim=intermediate_dim, activation=KERAS_ACTIVATIONS[hidden_act],
                dropout=dropout, layer_norm_epsilon=1e-12, kernel_initializer=initializer(),
                normalize_first=normalize_first, dtype=dtype, name=f"group_{g}_inner_layer_{k}")
            for g in self._albert.used_groups() for k in range(num_inner_repetitions)
        }
        self.transformer_layers = list(blocks.values())
        self.pooled_dense = keras.layers.Dense(
            hidden_dim, activation="tanh", kernel_initializer=initializer(), dtype=dtype, name="pooled_dense")

        # === Functional model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        tokens = self.token_embedding(token_ids)
        x = self.embeddings_add((tokens, self.position_embedding(tokens), self.segment_embedding(segment_ids)))
        x = self.embeddings_dropout(self.embeddings_layer_norm(x))
        if self.embedding_projection is not None:
            x = self.embedding_projection(x)
        encoder_outputs = []
        for i in range(num_layers):
            group = self._albert.group_of_layer(i)
            for k in range(num_inner_repetitions):
                last = i == num_layers - 1 and k == num_inner_repetitions - 1
                if first_token_only and last:  # the shared block's last application, first token only
                    x = first_token_of(blocks[(group, k)], x, padding_mask=padding_mask)
                else:
                    x = blocks[(group, k)](x, padding_mask=padding_mask)
                encoder_outputs.append(x)
        super().__init__(
            inputs={"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
            outputs={"sequence_output": x, "pooled_output": self.pooled_dense(x[:, 0, :]),
                     "encoder_outputs": encoder_outputs},
            dtype=dtype, **{"name": "albert_encoder", **kwargs})

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_groups = num_groups
        self.num_inner_repetitions = num_inner_repetitions
        self.hidden_act = hidden_act
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.initializer_range = initializer_range
        self.layout = layout
        self.normalize_first = normalize_first
        self.first_token_only = first_token_only

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({name: getattr(self, name) for name in (
            "vocabulary_size", "embedding_dim", "hidden_dim", "num_layers", "num_heads", "intermediate_dim",
            "num_groups", "num_inner_repetitions", "hidden_act", "dropout", "max_sequence_length",
            "num_segments", "initializer_range", "layout", "normalize_first", "first_token_only")})
        return config

    @classmethod
    def from_albert_config(cls, config: AlbertConfig, **kwargs) -> "AlbertEncoder":
        return cls(**arguments_from(config, ENCODER_FIELDS), normalize_first=config.ln_type == "preln", **kwargs)

    def albert_config(self) -> AlbertConfig:
        return AlbertConfig(**{**self._albert.__dict__, "extra": {}})
