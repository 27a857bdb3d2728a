"""Each entry of clue_tf/private_api.py still exists and still does what we rely on, so a
Keras or keras-hub upgrade that changes one fails here, by name."""

import inspect

import keras
import keras_hub
import numpy as np
import pytest

from clue_tf import private_api


@pytest.mark.parametrize("hook", private_api.OPTIMIZER_HOOKS)
def test_keras_optimizer_hook_exists(hook):
    assert callable(getattr(keras.optimizers.Optimizer, hook, None)), hook


def test_clipping_runs_in_the_all_reduce_hook():
    """Our clip lives in `_all_reduce_sum_gradients`: if Keras stopped calling it, steps would be unclipped."""
    from clue_tf.training.optimization import make_optimizer

    variable = keras.Variable(np.zeros(4, np.float32))
    optimizer = make_optimizer("adamw_keras", 1.0, 10, 0, weight_decay=0.0, clip_norm=1e-3)
    calls = []
    original = type(optimizer)._all_reduce_sum_gradients

    def counting(self, grads_and_vars):
        calls.append(1)
        return original(self, grads_and_vars)

    type(optimizer)._all_reduce_sum_gradients = counting
    try:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(np.full(4, 100.0, np.float32)), variable)])
    finally:
        type(optimizer)._all_reduce_sum_gradients = original
    assert calls == [1]


def test_flatten_layers_reaches_nested_dropout():
    inner = keras.Sequential([keras.layers.Dropout(0.1, name="inner_dropout")])
    model = keras.Sequential([keras.Input((3,)), inner, keras.layers.Dense(2)])
    assert "inner_dropout" in [layer.name for layer in private_api.inner_layers(model)]


def test_gelu_approximate_is_the_tanh_form():
    x = np.linspace(-4, 4, 17).astype(np.float32)
    np.testing.assert_allclose(np.asarray(private_api.gelu_approximate(x)),
                               np.asarray(keras.activations.gelu(x, approximate=True)), atol=1e-6)


def test_preprocessing_function_still_wraps_a_method():
    class Tokenizer:
        @private_api.preprocessing_function
        def tokenize(self, inputs):
            return inputs

    assert callable(Tokenizer().tokenize)


@pytest.mark.parametrize("method", sorted(private_api.SEQ2SEQ_HOOKS))
def test_t5_seq2seq_lm_generation_hooks_keep_their_parameters(method):
    function = getattr(keras_hub.models.T5Seq2SeqLM, method, None)
    assert callable(function), method
    parameters = list(inspect.signature(function).parameters)[1:]
    assert tuple(parameters[: len(private_api.SEQ2SEQ_HOOKS[method])]) == private_api.SEQ2SEQ_HOOKS[method]


@pytest.mark.parametrize("part", private_api.FUSED_ATTENTION_PARTS)
def test_built_multi_head_attention_has_the_parts_the_fused_call_reads(part):
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = np.zeros((1, 3, 8), np.float32)
    attention(x, x)
    assert hasattr(attention, part), part


def test_get_keras_mask_reads_a_tensors_keras_mask():
    x = keras.layers.Masking()(np.array([[[1.0], [0.0]]], np.float32))
    assert private_api.get_keras_mask(x).numpy().tolist() == [[True, False]]


@pytest.mark.parametrize("hook", private_api.ATTENTION_HOOKS)
def test_multi_head_attention_hook_exists(hook):
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    assert hasattr(attention, hook), hook


def test_compute_attention_is_still_called_with_projected_heads():
    """RoFormer and NEZHA rely on `_compute_attention` receiving [B, T, N, d] queries and keys."""
    seen = []

    class Recording(keras.layers.MultiHeadAttention):
        def _compute_attention(self, query, key, value, *args, **kwargs):
            seen.append(tuple(query.shape))
            return super()._compute_attention(query, key, value, *args, **kwargs)

    Recording(num_heads=2, key_dim=4)(np.zeros((1, 3, 8), "float32"), np.zeros((1, 3, 8), "float32"))
    assert seen == [(1, 3, 2, 4)]


def test_replace_sublayer_leaves_only_the_new_layer_weights():
    """As PositionalTransformerEncoder does it: inside build, before Keras locks the layer's state."""
    class Swapped(keras_hub.layers.TransformerEncoder):
        def build(self, inputs_shape):
            super().build(inputs_shape)
            self.new = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, name="self_attention_layer")
            self.new.build(query_shape=inputs_shape, value_shape=inputs_shape)
            private_api.replace_sublayer(self, "_self_attention_layer", self.new)

    plain = keras_hub.layers.TransformerEncoder(intermediate_dim=8, num_heads=2)
    plain.build((None, None, 4))
    encoder = Swapped(intermediate_dim=8, num_heads=2)
    encoder.build((None, None, 4))
    assert len(encoder.weights) == len(plain.weights) and encoder._self_attention_layer is encoder.new
    assert sum(w is encoder.new.weights[0] for w in encoder.weights) == 1


@pytest.mark.parametrize("normalize_first", [False, True])
def test_encoder_block_parts_still_make_keras_hubs_call(normalize_first):
    """models/first_token.py reruns TransformerEncoder.call from its parts for the first query;
    at a length of one token it must be keras-hub's own call, pre- and post-LN."""
    from clue_tf.models.first_token import compute_first_token_only

    keras.utils.set_random_seed(0)
    layer = keras_hub.layers.TransformerEncoder(intermediate_dim=16, num_heads=2, normalize_first=normalize_first)
    x = np.random.default_rng(0).normal(size=(2, 1, 8)).astype("float32")
    mask = np.ones((2, 1), "int32")
    expected = np.asarray(layer(x, padding_mask=mask))
    for part in private_api.ENCODER_BLOCK_PARTS:
        assert hasattr(layer, part), part
    np.testing.assert_allclose(np.asarray(compute_first_token_only(layer)(x, padding_mask=mask)), expected, atol=1e-6)


def test_tensorflow_op_registry_and_onednn_flag_answer():
    assert isinstance(private_api.onednn_enabled(), bool)
    assert private_api.registered_op("MatMul") and private_api.registered_op("_FusedMatMul")
    assert not private_api.registered_op("NoSuchOpAnywhere")


def test_xla_context_is_seen_through_callers():
    import tensorflow as tf

    def inner():  # a fresh tf.function per caller: a traced one is reused whatever the caller
        return tf.function(lambda x: x + float(private_api.in_xla_context()))

    compiled_inner, plain_inner = inner(), inner()
    assert float(tf.function(lambda x: compiled_inner(x), jit_compile=True)(tf.constant(0.0))) == 1.0
    assert float(tf.function(lambda x: plain_inner(x))(tf.constant(0.0))) == 0.0
    assert not private_api.in_xla_context()  # eager


def test_a_recording_gradient_tape_is_seen():
    import tensorflow as tf

    assert not private_api.gradient_tape_recording()
    with tf.GradientTape() as tape:
        assert private_api.gradient_tape_recording()
        with tape.stop_recording():
            assert not private_api.gradient_tape_recording()
    traced = tf.function(lambda: tf.constant(private_api.gradient_tape_recording()))
    assert not bool(traced())  # traced outside any tape
    with tf.GradientTape():
        assert bool(tf.function(lambda: tf.constant(private_api.gradient_tape_recording()))())
