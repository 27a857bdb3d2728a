"""Every use of Keras's, keras-hub's and TensorFlow's private surface, in one place.

What is not public API can change in any release; `tests/test_private_api.py` checks each
entry against the installed versions (setup.cfg pins the tested ranges: keras>=3.10,<3.16,
keras-hub 0.32), so an upgrade that breaks one fails by name instead of deep in a run.

- Keras optimizer hooks our optimizers override or call (training/optimization.py):
  `_all_reduce_sum_gradients` (clip after the one all-reduce), `_get_variable_index`,
  `_use_weight_decay`.
- `Layer._flatten_layers`: every layer inside a model (the bit-mask dropout swap).
- keras-hub's `gelu_approximate` (the activation its T5 layers serialize by name) and its
  `preprocessing_function` decorator (what its own tokenizers wrap `tokenize` in).
- `Layer._layers` (the tracked sublayers): `replace_sublayer` swaps the self-attention of
  keras-hub's TransformerEncoder for RoFormer's and NEZHA's; `MultiHeadAttention`'s
  `_compute_attention`, `_key_dim`, `_dropout`, `_kernel_initializer`, `_bias_initializer`
  (models/position_attention.py).
- The parts of a built MultiHeadAttention in FUSED_ATTENTION_PARTS and Keras's
  `get_keras_mask`: the fused self-attention call runs them in Keras's order and leaves
  masked tensors to Keras's call (models/fused_attention.py).
- keras-hub TransformerEncoder's sublayers and `normalize_first` (ENCODER_BLOCK_PARTS): the
  first-token call of a classifier's last layer runs them in the order keras-hub's `call` does
  (models/first_token.py).
- `Layer.quantized_call`, what Keras's `__call__` runs for a quantized layer: serving/int8.py
  gives int8 layers their oneDNN call there (tests/serving/test_int8.py checks the op is used).
- TensorFlow's `_pywrap_util_port.IsMklEnabled` (oneDNN on), its op registry and
  `control_flow_util.GraphOrParentsInXlaContext`: where a graph may name the oneDNN
  LayerNorm kernel (models/layer_norm.py); `pywrap_tfe.TFE_Py_TapeSetIsEmpty`: whether a
  gradient tape records what is traced (models/by_size.py).
- keras-hub's T5Seq2SeqLM generation hooks that Pegasus overrides and the cacheless greedy
  check calls: `_initialize_cache`, `call_encoder`, `call_decoder_with_cache`, `_logits`.
"""

import keras
from keras.src.backend import get_keras_mask  # noqa: F401  (re-exported)
from keras_hub.src.utils.keras_utils import gelu_approximate  # noqa: F401  (re-exported)
from keras_hub.src.utils.tensor_utils import preprocessing_function  # noqa: F401  (re-exported)

__all__ = ["ATTENTION_HOOKS", "ENCODER_BLOCK_PARTS", "FUSED_ATTENTION_PARTS", "OPTIMIZER_HOOKS", "SEQ2SEQ_HOOKS",
           "gelu_approximate", "get_keras_mask", "gradient_tape_recording", "in_xla_context",
           "initialize_seq2seq_cache", "inner_layers", "onednn_enabled", "preprocessing_function", "registered_op",
           "replace_sublayer"]

ATTENTION_HOOKS = ("_compute_attention", "_key_dim", "_dropout", "_kernel_initializer", "_bias_initializer")

# What the fused self-attention (models/fused_attention.py) reads of a built MultiHeadAttention.
FUSED_ATTENTION_PARTS = ("_query_dense", "_key_dense", "_value_dense", "_output_dense", "_masked_softmax",
                         "_dropout_layer", "_dropout", "_inverse_sqrt_key_dim", "_attention_axes")

ENCODER_BLOCK_PARTS = ("normalize_first", "_self_attention_layer", "_self_attention_layer_norm",
                       "_self_attention_dropout", "_feedforward_layer_norm", "_feedforward_intermediate_dense",
                       "_feedforward_output_dense", "_feedforward_dropout")

OPTIMIZER_HOOKS = ("_all_reduce_sum_gradients", "_get_variable_index", "_use_weight_decay")
SEQ2SEQ_HOOKS = {  # method -> the parameters our overrides and calls rely on
    "_initialize_cache": ("encoder_token_ids", "decoder_token_ids"),
    "call_encoder": ("token_ids", "padding_mask"),
    "call_decoder_with_cache": ("encoder_hidden_states", "encoder_padding_mask", "decoder_token_ids",
                                "self_attention_cache", "self_attention_cache_update_index",
                                "cross_attention_cache", "cross_attention_cache_update_index"),
    "_logits": ("hidden_states",),
}


def inner_layers(model: keras.Model) -> list:
    """Every layer inside `model`, nested ones included, not the model itself."""
    return list(model._flatten_layers(include_self=False))


def initialize_seq2seq_cache(lm, encoder_token_ids, decoder_token_ids):
    """keras-hub's empty self- and cross-attention caches for a seq2seq LM."""
    return lm._initialize_cache(encoder_token_ids, decoder_token_ids)


def replace_sublayer(layer: keras.layers.Layer, attribute: str, new: keras.layers.Layer) -> None:
    """Sets `layer.<attribute>` to `new` and stops tracking the layer it held, so that only
    the new one's weights belong to `layer`."""
    old = getattr(layer, attribute)
    layer._layers.remove(old)
    setattr(layer, attribute, new)


def onednn_enabled() -> bool:
    """TensorFlow was built with oneDNN and TF_ENABLE_ONEDNN_OPTS does not turn it off."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def registered_op(op_type: str) -> bool:
    """The op type is in this TensorFlow's registry (internal ops included)."""
    from tensorflow.python.framework import op_def_registry

    return op_def_registry.get(op_type) is not None


def in_xla_context() -> bool:
    """The graph being traced is compiled by XLA (jit_compile), itself or through a caller."""
    import tensorflow as tf
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def gradient_tape_recording() -> bool:
    """A tf.GradientTape records the ops being run or traced on this thread (not stopped)."""
    from tensorflow.python import pywrap_tfe

    return not pywrap_tfe.TFE_Py_TapeSetIsEmpty()
