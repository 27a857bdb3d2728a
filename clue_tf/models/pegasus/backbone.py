"""Chinese Pegasus (UER): a pre-LN transformer encoder-decoder built from keras-hub layers.

Embeddings are token * sqrt(d_model) plus a fixed sinusoidal table held as weights
(UER's interleaved layout: sin on even columns, cos on odd); every block is keras-hub's
`TransformerEncoder` / `TransformerDecoder` with `normalize_first=True` (biases, q scaled
by head_dim^-0.5, ReLU FFN); each stack ends with a LayerNorm; the head is tied to the
token embedding plus `final_logits_bias`. Generation reuses keras-hub's cached loop.
"""

import math

import keras
import keras_hub
import numpy as np
from keras import ops

from clue_tf.models.seq2seq_config import Seq2SeqConfig


def interleaved_sinusoid_table(num_positions: int, dim: int) -> np.ndarray:
    """UER's position table: [pos, 2i] = sin(pos * w_i), [pos, 2i+1] = cos(pos * w_i)."""
    positions = np.arange(num_positions, dtype=np.float64)[:, None]
    frequencies = np.exp(np.arange(0, dim, 2, dtype=np.float64) * -(math.log(10000.0) / dim))
    table = np.zeros((num_positions, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(positions * frequencies)
    table[:, 1::2] = np.cos(positions * frequencies)[:, : dim // 2]
    return table.astype(np.float32)


@keras.saving.register_keras_serializable(package="clue_tf")
class LogitsBias(keras.layers.Layer):
    """Adds Pegasus' `final_logits_bias` (one value per vocabulary entry)."""

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")

    def call(self, logits):
        return logits + ops.cast(self.bias, logits.dtype)


@keras.saving.register_keras_serializable(package="clue_tf")
class PegasusBackbone(keras_hub.models.Backbone):
    """Encoder-decoder outputs for token ids and padding masks (keras-hub's Seq2Seq inputs)."""

    def __init__(self, vocabulary_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                 intermediate_dim: int, max_sequence_length: int = 1024, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_epsilon: float = 1e-5, dtype=None, **kwargs):
        table = interleaved_sinusoid_table(max_sequence_length, hidden_dim)

        def position_embedding(name):
            layer = keras_hub.layers.PositionEmbedding(
                max_sequence_length, initializer=keras.initializers.Constant(table), dtype=dtype,
                name=name)
            layer.trainable = False  # a fixed table, as in UER and HF
            return layer

        def layer_norm(name):
            return keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, dtype=dtype, name=name)

        block = dict(intermediate_dim=intermediate_dim, num_heads=num_heads, dropout=dropout,
                     activation=activation, layer_norm_epsilon=layer_norm_epsilon,
                     normalize_first=True, dtype=dtype)
        self.token_embedding = keras_hub.layers.ReversibleEmbedding(
            vocabulary_size, hidden_dim, tie_weights=True, dtype=dtype, name="token_embedding")
        self.encoder_position_embedding = position_embedding("encoder_position_embedding")
        self.decoder_position_embedding = position_embedding("decoder_position_embedding")
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.encoder_transformer_layers = [
            keras_hub.layers.TransformerEncoder(**block, name=f"encoder_layer_{i}") for i in range(num_layers)]
        self.encoder_layer_norm = layer_norm("encoder_layer_norm")
        self.decoder_transformer_layers = [
            keras_hub.layers.TransformerDecoder(**block, name=f"decoder_layer_{i}") for i in range(num_layers)]
        self.decoder_layer_norm = layer_norm("decoder_layer_norm")
        self.logits_bias = LogitsBias(dtype=dtype, name="final_logits_bias")

        inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in (
            "encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")}
        self.hidden_dim = hidden_dim
        encoder_output = self.encode(inputs["encoder_token_ids"], inputs["encoder_padding_mask"])
        x = self.embed(inputs["decoder_token_ids"], self.decoder_position_embedding)
        for layer in self.decoder_transformer_layers:
            x = layer(x, encoder_sequence=encoder_output,
                      decoder_padding_mask=inputs["decoder_padding_mask"],
                      encoder_padding_mask=inputs["encoder_padding_mask"])
        decoder_output = self.decoder_layer_norm(x)
        super().__init__(inputs=inputs, outputs={"encoder_sequence_output": encoder_output,
                                                 "decoder_sequence_output": decoder_output},
                         dtype=dtype, **kwargs)
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.key_value_dim = hidden_dim // num_heads
        self.intermediate_dim = intermediate_dim
        self.max_sequence_length = max_sequence_length
        self.dropout = dropout
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon

    def embed(self, token_ids, position_embedding, start_index=0):
        """token embedding * sqrt(d_model) + the sinusoid rows from `start_index` on."""
        tokens = self.token_embedding(token_ids)
        tokens = tokens * ops.cast(math.sqrt(self.hidden_dim), tokens.dtype)
        x = tokens + position_embedding(tokens, start_index=start_index)
        return self.embeddings_dropout(x)

    def encode(self, token_ids, padding_mask):
        x = self.embed(token_ids, self.encoder_position_embedding)
        for layer in self.encoder_transformer_layers:
            x = layer(x, padding_mask=padding_mask)
        return self.encoder_layer_norm(x)

    def logits(self, hidden_states):
        return self.logits_bias(self.token_embedding(hidden_states, reverse=True))

    def get_config(self):
        config = super().get_config()
        config.update(vocabulary_size=self.vocabulary_size, num_layers=self.num_layers,
                      num_heads=self.num_heads, hidden_dim=self.hidden_dim,
                      intermediate_dim=self.intermediate_dim, max_sequence_length=self.max_sequence_length,
                      dropout=self.dropout, activation=self.activation,
                      layer_norm_epsilon=self.layer_norm_epsilon)
        return config


@keras.saving.register_keras_serializable(package="clue_tf")
class PegasusSeq2SeqLM(keras_hub.models.T5Seq2SeqLM):
    """Pegasus with its LM head and cached generation.

    keras-hub's T5Seq2SeqLM generation loop (cache build, sampler, stop tokens) only
    calls the hooks below, so Pegasus supplies its own encoder, cached decoder and head.
    """

    backbone_cls = PegasusBackbone
    preprocessor_cls = None

    def _logits(self, hidden_states):
        return self.backbone.logits(hidden_states)

    def call_encoder(self, token_ids, padding_mask):
        return self.backbone.encode(token_ids, padding_mask)

    def call_decoder_with_cache(self, encoder_hidden_states, encoder_padding_mask, decoder_token_ids,
                                self_attention_cache, self_attention_cache_update_index,
                                cross_attention_cache, cross_attention_cache_update_index):
        backbone = self.backbone
        x = backbone.embed(decoder_token_ids, backbone.decoder_position_embedding,
                           start_index=self_attention_cache_update_index)
        self_caches, cross_caches = [], []
        for i, layer in enumerate(backbone.decoder_transformer_layers):
            x, self_cache, cross_cache = layer(
                decoder_sequence=x,
                encoder_sequence=encoder_hidden_states,
                encoder_padding_mask=encoder_padding_mask,
                self_attention_cache=self_attention_cache[:, i, ...],
                self_attention_cache_update_index=self_attention_cache_update_index,
                cross_attention_cache=cross_attention_cache[:, i, ...],
                cross_attention_cache_update_index=cross_attention_cache_update_index,
            )
            self_caches.append(self_cache)
            cross_caches.append(cross_cache)
        if self_attention_cache_update_index is not None:
            self_attention_cache = ops.stack(self_caches, axis=1)
        if cross_attention_cache_update_index is not None:
            cross_attention_cache = ops.stack(cross_caches, axis=1)
        hidden_states = backbone.decoder_layer_norm(x)
        return self._logits(hidden_states), hidden_states, self_attention_cache, cross_attention_cache


def pegasus_backbone(config: Seq2SeqConfig, dtype=None) -> PegasusBackbone:
    return PegasusBackbone(
        vocabulary_size=config.vocab_size, num_layers=config.num_layers, num_heads=config.num_heads,
        hidden_dim=config.hidden_dim, intermediate_dim=config.intermediate_dim,
        max_sequence_length=config.max_position_embeddings, dropout=config.dropout,
        activation=config.activation, layer_norm_epsilon=config.layer_norm_epsilon, dtype=dtype)


def pegasus_seq2seq_lm(config: Seq2SeqConfig, dtype=None) -> PegasusSeq2SeqLM:
    return PegasusSeq2SeqLM(pegasus_backbone(config, dtype), preprocessor=None)
