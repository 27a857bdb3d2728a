"""One battery for every registered family (after keras-hub's `run_backbone_test`): a family
gets these checks by registering and naming a tiny config in TINY_CONFIGS.

Config round trip in every dialect it reads; weight rows that cover every weight of the
model with all its heads, both ways, bit for bit in every naming dialect; the parameter
formula against the Keras model; `.keras` save and load; a mixed-precision forward pass
near float32's; the keras-hub preset round trip where keras-hub has the model; another
family's checkpoint refused naming that family. Parity with each family's original code is
in the family's own oracle tests.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.errors import CheckpointError
from clue_tf.families import FAMILY_NAMES, check_weights_family, get_family
from clue_tf.models.albert.config import AlbertConfig
from clue_tf.models.bert.config import BertConfig
from clue_tf.models.electra.config import ElectraConfig
from clue_tf.models.ernie.config import ErnieConfig
from clue_tf.models.nezha.config import NezhaConfig
from clue_tf.models.roformer.config import RoFormerConfig
from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.rows import WeightSource, dump_rows, load_rows
from tests.helpers import PROJECT_ROOT, perturbed

SAMPLE_VOCAB = PROJECT_ROOT / "sample" / "vocab.txt"  # 445 lines
VOCAB = 445
TINY_CONFIGS = {
    "bert": BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=48, max_position_embeddings=40, hidden_dropout_prob=0.0,
                       attention_probs_dropout_prob=0.0),
    "albert": AlbertConfig(vocab_size=VOCAB, embedding_size=16, hidden_size=24, num_hidden_layers=4,
                           num_hidden_groups=2, inner_group_num=1, num_attention_heads=2, intermediate_size=40,
                           max_position_embeddings=40),
    "t5": Seq2SeqConfig(family="t5", vocab_size=VOCAB, hidden_dim=32, num_layers=2, num_decoder_layers=2,
                        num_heads=2, key_value_dim=16, intermediate_dim=48, dropout=0.0,
                        activation="gelu_approximate"),
    "pegasus": Seq2SeqConfig(family="pegasus", vocab_size=VOCAB, hidden_dim=32, num_layers=2, num_decoder_layers=2,
                             num_heads=2, key_value_dim=16, intermediate_dim=48, dropout=0.0,
                             max_position_embeddings=40),
    "electra": ElectraConfig(vocab_size=VOCAB, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                             num_attention_heads=2, intermediate_size=48, max_position_embeddings=40,
                             hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, generator_hidden_size=8,
                             generator_num_hidden_layers=1, generator_intermediate_size=32),
    "ernie": ErnieConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=48, max_position_embeddings=40, type_vocab_size=4, use_task_id=True,
                         layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
    "roformer": RoFormerConfig(vocab_size=VOCAB, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                               num_attention_heads=2, intermediate_size=48, max_position_embeddings=40,
                               hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
    "nezha": NezhaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=48, max_relative_position=4, hidden_dropout_prob=0.0,
                         attention_probs_dropout_prob=0.0),
}


SAME_TF1_NAMES = {"roformer", "nezha"}  # BERT's names without a position table, both


def all_heads(family) -> tuple:
    return tuple(family.heads)


def built(name: str, seed: int = 0, heads=None):
    """(family, tiny config, its model with `heads` (default: all), every weight perturbed)."""
    family = get_family(name)
    keras.utils.set_random_seed(seed)
    heads = all_heads(family) if heads is None else heads
    return family, TINY_CONFIGS[name], perturbed(family.build(TINY_CONFIGS[name], heads, 3), seed=seed)


def heads_with_a_place(family, config, dialect: str) -> tuple:
    """The heads a naming dialect has names for (UER's format has no classifier)."""
    named = {row.head for row in family.rows(config, dialect) if row.head}
    return tuple(h for h in family.heads if h in named)


def weight_dialects(family, config) -> list:
    """The naming dialects the family's checkpoints come in: its TF1 one and its config dialects."""
    dialects = [family.tf1_dialect_for(config), *family.config_dialects]
    return [d for d in dict.fromkeys(dialects) if d]


def inputs_for(family, batch: int = 2, length: int = 7) -> dict:
    rng = np.random.default_rng(1)
    ids = rng.integers(5, VOCAB, (batch, length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, length - 2:] = 0
    if family.objective_kind == "seq2seq":
        return {"encoder_token_ids": ids, "encoder_padding_mask": mask,
                "decoder_token_ids": ids[:, :5], "decoder_padding_mask": mask[:, :5]}
    features = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask}
    if "masked_lm" in family.heads:
        features["masked_lm_positions"] = np.array([[1, 2], [3, 0]], "int32")
    return features


def outputs_of(model, features) -> dict:
    names = [i.name for i in model.inputs] if hasattr(model, "inputs") and model.inputs else list(features)
    out = model({k: v for k, v in features.items() if k in names} if names else features, training=False)
    out = out if isinstance(out, dict) else {"output": out}
    return {k: np.asarray(keras.ops.convert_to_numpy(v), np.float32) for k, v in out.items()}


def test_every_registered_family_has_a_tiny_config():
    assert sorted(TINY_CONFIGS) == sorted(FAMILY_NAMES)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_config_round_trips_in_every_dialect(name):
    family, config = get_family(name), TINY_CONFIGS[name]
    for dialect in family.config_dialects:
        written = family.config_dict(config, dialect)
        again = family.read_config(json.loads(json.dumps(written)), dialect, f"{name}/{dialect}")
        assert family.config_dict(again, dialect) == written, dialect
        assert family.claims_config(written) == dialect


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_rows_cover_every_weight_both_ways_bit_for_bit(name):
    family, config = get_family(name), TINY_CONFIGS[name]
    for dialect in weight_dialects(family, config):
        heads = heads_with_a_place(family, config, dialect)
        _, _, model = built(name, heads=heads)
        rows = family.rows(config, dialect)
        state = dump_rows(model, rows)
        by_path = {w.path: w for w in model.weights}
        covered = {row.variable(model, by_path).path for row in rows if row.variable(model, by_path) is not None}
        assert set(by_path) - covered == set(), f"{dialect}: weights no row writes"
        assert check_weights_family(family, list(state), "tf1" if dialect == family.tf1_dialect else dialect,
                                    dialect) == dialect
        _, _, fresh = built(name, seed=1, heads=heads)
        report = load_rows(fresh, WeightSource.from_state(state, dialect), rows, family.aliases(dialect))
        assert report.initial_heads == set(), dialect
        for original, loaded in zip(model.weights, fresh.weights):
            np.testing.assert_array_equal(loaded.numpy(), original.numpy(), err_msg=f"{dialect}: {original.path}")


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_parameter_formula_counts_the_model(name):
    family, config = get_family(name), TINY_CONFIGS[name]
    assert family.count_parameters(config) == family.build(config).count_params()


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_native_folder_save_and_load_gives_the_same_outputs(name, tmp_path):
    """What `convert` and training exports write (the family's native format), read back."""
    family, config, model = built(name)
    write(str(tmp_path / "model"), model, family, config, str(SAMPLE_VOCAB), family.native_format)
    loaded = load(locate(str(tmp_path / "model")), heads="present", num_labels=3)
    features = inputs_for(family)
    expected, actual = outputs_of(model, features), outputs_of(loaded.model, features)
    assert sorted(actual) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_dot_keras_save_and_load_gives_the_same_outputs(name, tmp_path):
    family, config, _ = built(name)
    keras.utils.set_random_seed(0)
    model = perturbed(family.build(config))
    write(str(tmp_path / "keras"), model, family, config, str(SAMPLE_VOCAB), "keras")
    reloaded = keras.saving.load_model(str(tmp_path / "keras" / "model.keras"))
    features = inputs_for(family)
    expected, actual = outputs_of(model, features), outputs_of(reloaded, features)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_mixed_bfloat16_forward_stays_near_float32(name):
    family, config, model = built(name)
    try:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        keras.utils.set_random_seed(0)
        half = family.build(config, all_heads(family), 3)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    for source, target in zip(model.weights, half.weights):
        target.assign(source.numpy())
    features = inputs_for(family)
    # In a tf.function, as the training loop and the SavedModel run it: called eagerly,
    # keras-hub's MaskedLMHead adds its float32 bias to bfloat16 logits without autocast.
    graph = tf.function(lambda x: half(x, training=False), autograph=False)
    expected = outputs_of(model, features)
    out = graph({k: v for k, v in features.items() if k in [i.name for i in half.inputs]})
    actual = {k: np.asarray(tf.cast(v, tf.float32)) for k, v in (out if isinstance(out, dict) else {"output": out}).items()}
    for key in expected:
        # bfloat16 keeps ~3 significant digits of each product, so the error scales with the
        # terms, not their sum: logits that cancel to near zero are compared absolutely.
        scale = max(np.abs(expected[key]).max(), 1.0)
        assert np.isfinite(actual[key]).all(), key
        assert np.abs(actual[key] - expected[key]).max() / scale < 0.05, key


ENCODER_FAMILIES = [n for n in FAMILY_NAMES if get_family(n).objective_kind != "seq2seq"]


@pytest.mark.parametrize("name", ENCODER_FAMILIES)
def test_int8_quantizes_every_encoder_projection_and_stays_near_float32(name):
    """`export_saved_model --precision=int8` on a classifier of this family (first-token last
    layer, as exports build it): every Dense and attention projection inside the encoder runs
    oneDNN's int8 matmul, and the logits stay near float32's."""
    from clue_tf.models.backbones import find_encoder
    from clue_tf.private_api import inner_layers
    from clue_tf.serving.int8 import OP_NAME, quantize_encoder_int8

    family, config = get_family(name), TINY_CONFIGS[name]
    keras.utils.set_random_seed(0)
    model = perturbed(family.build(config, ("classifier",), 3, first_token_only=True))
    features = {k: v for k, v in inputs_for(family).items() if k in [i.name for i in model.inputs]}
    expected = outputs_of(model, features)["output"]
    encoder = find_encoder(model)
    projections = [layer for layer in inner_layers(encoder)
                   if isinstance(layer, (keras.layers.Dense, keras.layers.EinsumDense))]
    assert len(quantize_encoder_int8(encoder)) == len(projections) >= 6
    assert all(layer.kernel.dtype == "int8" for layer in projections)
    graph = tf.function(lambda x: model(x, training=False), autograph=False)
    ops = {op.type for op in graph.get_concrete_function(features).graph.get_operations()}
    assert OP_NAME in ops
    actual = np.asarray(graph(features))
    scale = max(np.abs(expected).max(), 1.0)
    assert np.abs(actual - expected).max() / scale < 0.06  # per-token int8 steps of 1/127
    assert np.abs(actual - expected).max() > 0  # the float kernels are not what ran


@pytest.mark.parametrize("name", [n for n in FAMILY_NAMES if getattr(get_family(n), "keras_hub_backbone", "")])
def test_keras_hub_preset_round_trip(name, tmp_path):
    family = get_family(name)
    keras.utils.set_random_seed(0)
    config = TINY_CONFIGS[name]
    model = perturbed(family.build(config, ("masked_lm",) if getattr(family, "keras_hub_masked_lm", None) else ()))
    write(str(tmp_path / "preset"), model, family, config, str(SAMPLE_VOCAB), "keras_hub")
    loaded = load(locate(str(tmp_path / "preset")), heads="present")
    features = inputs_for(family)
    if "masked_lm_positions" not in [i.name for i in loaded.model.inputs]:
        features.pop("masked_lm_positions", None)
    expected, actual = outputs_of(model, features), outputs_of(loaded.model, features)
    for key in actual:
        np.testing.assert_allclose(actual[key], expected[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_another_familys_checkpoint_is_refused_naming_it(name):
    family = get_family(name)
    for other_name in FAMILY_NAMES:
        if other_name == name:
            continue
        other, config, model = built(other_name)
        dialect = other.tf1_dialect_for(config) or other.config_dialects[0]
        names = list(dump_rows(model, other.rows(config, dialect)))
        kind = "tf1" if dialect == other.tf1_dialect else dialect
        if family.weight_dialect(names, kind):  # the same TF1 names: only the config tells them apart
            assert {name, other_name} == SAME_TF1_NAMES, (name, other_name)
            continue
        found = rf"holds ([a-z0-9]+ or )*{other_name}( or [a-z0-9]+)* weights"  # same names: RoFormer, NEZHA
        with pytest.raises(CheckpointError, match=f"{found}, but the config describes a {name}"):
            check_weights_family(family, names, kind, f"{other_name}.ckpt")
