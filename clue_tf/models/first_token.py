"""A classifier reads only the first token of the last Transformer layer, so that layer can
run its query, attention output and feed-forward for that token alone while its keys and
values still cover every token (Model Garden's `output_range=1`). The first token's vector
is the same; an L-layer encoder does about 1/L less arithmetic (a fifth of a 4-layer tiny
model's), in training and in evaluation.

The layer stays keras-hub's TransformerEncoder with its weights and names; only its call
is replaced, the way models/projections.py replaces the attention projections' call. The
parts it runs are keras-hub's private ones, listed in private_api.ENCODER_BLOCK_PARTS.
"""

import types

import keras
from keras import ops


def _first_token_call(self, inputs, padding_mask=None, attention_mask=None, training=None,
                      return_attention_scores=False):
    """keras-hub TransformerEncoder.call for the query at position 0 only: [batch, 1, hidden]."""
    if return_attention_scores:
        raise ValueError(f"{self.name}: computes the first token only; no attention scores to return")
    mask = None
    if padding_mask is not None:
        mask = ops.expand_dims(ops.cast(padding_mask, "bool"), 1)  # [batch, 1, keys]
    if attention_mask is not None:
        first = ops.cast(attention_mask[:, :1, :], "bool")
        mask = first if mask is None else ops.logical_and(mask, first)
    x = self._self_attention_layer_norm(inputs) if self.normalize_first else inputs
    x = self._self_attention_layer(query=x[:, :1], value=x, attention_mask=mask, training=training)
    x = self._self_attention_dropout(x, training=training) + inputs[:, :1]
    if not self.normalize_first:
        x = self._self_attention_layer_norm(x)
    residual = x
    if self.normalize_first:
        x = self._feedforward_layer_norm(x)
    x = self._feedforward_output_dense(self._feedforward_intermediate_dense(x))
    x = self._feedforward_dropout(x, training=training) + residual
    if not self.normalize_first:
        x = self._feedforward_layer_norm(x)
    return x


def first_token_of(layer: keras.Layer, inputs, padding_mask=None):
    """keras-hub TransformerEncoder `layer` applied to `inputs` for the first token only,
    leaving the layer itself as it is: for a layer shared across depths (ALBERT), whose
    earlier applications compute every token."""
    return _first_token_call(layer, inputs, padding_mask=padding_mask)


def _first_token_shape(self, inputs_shape):
    return (inputs_shape[0], 1, *inputs_shape[2:])


def compute_first_token_only(layer: keras.Layer) -> keras.Layer:
    """Makes keras-hub TransformerEncoder `layer` return the first token only; call it before
    the layer is first called in a functional graph. Returns the layer."""
    layer.call = types.MethodType(_first_token_call, layer)
    layer.compute_output_shape = types.MethodType(_first_token_shape, layer)
    return layer
