"""ELECTRA against HF transformers (PyTorch), the independent implementation.

The discriminator: HF's `ElectraForPreTraining` folder read by us, every layer's output and
the replaced-token logits equal. Google's TF1 layout (HFL's and CLUE's releases): our
bundle's names are mapped to HF's `ElectraForPreTraining` and `ElectraForMaskedLM` here,
from Google's run_pretraining.py (generator under `generator/`, sharing `electra/embeddings`;
`generator_predictions/` and `discriminator_predictions/dense{,_1}`), and HF's forward pass
must equal ours, generator included.
"""

import json

import keras
import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate, write, write_loaded
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError
from clue_tf.models.electra.config import ElectraConfig
from clue_tf.models.electra.family import ELECTRA
from tests.checkpoints import hf_bert
from tests.helpers import perturbed
from tests.models.hf_encoders import (VOCAB, assert_every_layer_equal, assert_first_token_equal, encoder_inputs,
                                      hf_forward, saved_perturbed, write_vocab)
CONFIG = ElectraConfig(vocab_size=len(VOCAB), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=4, intermediate_size=64, max_position_embeddings=64,
                       hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, generator_hidden_size=24,
                       generator_num_hidden_layers=2, generator_num_attention_heads=2,
                       generator_intermediate_size=40)


def inputs():
    return {**encoder_inputs(), "masked_lm_positions": np.array([[1, 4, 7], [2, 3, 0]], "int32")}


def hf_config(transformers, hidden, layers, heads, intermediate):
    return transformers.ElectraConfig(
        vocab_size=len(VOCAB), embedding_size=CONFIG.embedding_size, hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=intermediate, hidden_act="gelu", max_position_embeddings=64,
        type_vocab_size=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


@pytest.fixture(scope="module")
def hf_discriminator(tmp_path_factory):
    torch, transformers = hf_bert.require_hf()
    folder = tmp_path_factory.mktemp("hf_electra")
    torch.manual_seed(0)
    return saved_perturbed(transformers.ElectraForPreTraining(hf_config(transformers, 32, 2, 4, 64)), folder)


def test_hf_discriminator_matches_electra_for_pretraining_on_every_layer(hf_discriminator):
    folder, hf_model = hf_discriminator
    loaded = load(locate(str(folder)), heads="present")
    assert loaded.family is ELECTRA and loaded.config.embedding_size == 16
    x = inputs()
    x.pop("masked_lm_positions")
    ours = loaded.model(x)
    theirs = hf_forward(hf_model, x)
    assert_every_layer_equal(loaded.model.get_layer("electra_encoder")(x)["encoder_outputs"], theirs.hidden_states,
                             x["padding_mask"])
    real = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(ours["replaced_token_logits"])[real], theirs.logits.numpy()[real],
                               atol=1e-5)
    assert_first_token_equal(folder, x, theirs.hidden_states[-1].numpy())


def test_bare_hf_electra_model_with_equal_widths_loads_as_electra(tmp_path):
    """ElectraModel saved on its own has no `electra.` prefix and, with E == H, no projection:
    BERT's names, but config.json says electra, and every layer equals HF's."""
    torch, transformers = hf_bert.require_hf()
    torch.manual_seed(1)
    config = hf_config(transformers, 32, 2, 4, 64)
    config.embedding_size = 32
    folder, hf_model = saved_perturbed(transformers.ElectraModel(config), tmp_path / "bare")
    loaded = load(locate(str(folder)))
    assert loaded.family is ELECTRA and not loaded.report.initial_heads
    x = encoder_inputs()
    theirs = hf_forward(hf_model, x)
    assert_every_layer_equal(loaded.model(x)["encoder_outputs"], theirs.hidden_states, x["padding_mask"])


def test_hf_folder_to_google_bundle_and_back_loads_in_transformers(hf_discriminator, tmp_path):
    torch, transformers = hf_bert.require_hf()
    folder, hf_model = hf_discriminator
    write_loaded(str(tmp_path / "bundle"), load(locate(str(folder)), heads="present"), "bundle")
    assert (tmp_path / "bundle" / "electra_model.ckpt.index").exists()
    write_loaded(str(tmp_path / "hf"), load(locate(str(tmp_path / "bundle")), heads="present"), "hf")
    again = transformers.ElectraForPreTraining.from_pretrained(str(tmp_path / "hf")).eval()
    x = inputs()
    np.testing.assert_allclose(hf_forward(again, x).logits.numpy(), hf_forward(hf_model, x).logits.numpy(),
                               atol=1e-6)


def google_to_hf(state: dict, prefix: str, layers: int) -> dict:
    """Google's run_pretraining names -> an HF ElectraModel's (under `electra.`), for the
    discriminator (`electra/`) or the generator (`generator/`, embeddings from `electra/`)."""
    hf = {}
    for name, value in state.items():
        if name.startswith("electra/embeddings/"):
            rest = name[len("electra/embeddings/"):]
            key = {"word_embeddings": "word_embeddings.weight", "position_embeddings": "position_embeddings.weight",
                   "token_type_embeddings": "token_type_embeddings.weight", "LayerNorm/gamma": "LayerNorm.weight",
                   "LayerNorm/beta": "LayerNorm.bias"}[rest]
            hf["electra.embeddings." + key] = value
        elif name.startswith(prefix + "/"):
            rest = name[len(prefix) + 1:]
            rest = rest.replace("encoder/layer_", "encoder.layer.").replace("/", ".")
            rest = rest.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
            if rest.endswith(".kernel"):
                rest, value = rest[: -len("kernel")] + "weight", value.T
            hf["electra." + rest] = value
    assert sum(k.startswith("electra.encoder.layer.") for k in hf) == 16 * layers
    return hf


def test_google_layout_discriminator_and_generator_match_hf(tmp_path):
    torch, transformers = hf_bert.require_hf()
    import tensorflow as tf

    keras.utils.set_random_seed(2)
    model = perturbed(ELECTRA.build(CONFIG, ("masked_lm", "replaced_token")), seed=2)
    write_vocab(tmp_path)
    write(str(tmp_path / "bundle"), model, ELECTRA, CONFIG, str(tmp_path / "vocab.txt"), "bundle")
    reader = tf.train.load_checkpoint(str(tmp_path / "bundle" / "electra_model.ckpt"))
    state = {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}
    x = inputs()
    ours = model(x)

    disc = transformers.ElectraForPreTraining(hf_config(transformers, 32, 2, 4, 64)).eval()
    weights = google_to_hf(state, "electra", 2)
    weights.update({"discriminator_predictions.dense.weight": state["discriminator_predictions/dense/kernel"].T,
                    "discriminator_predictions.dense.bias": state["discriminator_predictions/dense/bias"],
                    "discriminator_predictions.dense_prediction.weight": state["discriminator_predictions/dense_1/kernel"].T,
                    "discriminator_predictions.dense_prediction.bias": state["discriminator_predictions/dense_1/bias"]})
    disc.load_state_dict({k: torch.tensor(v) for k, v in weights.items()}, strict=True)
    real = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(ours["replaced_token_logits"])[real],
                               hf_forward(disc, x).logits.numpy()[real], atol=1e-5)

    gen = transformers.ElectraForMaskedLM(hf_config(transformers, 24, 2, 2, 40)).eval()
    weights = google_to_hf(state, "generator", 2)
    weights.update({"generator_predictions.dense.weight": state["generator_predictions/dense/kernel"].T,
                    "generator_predictions.dense.bias": state["generator_predictions/dense/bias"],
                    "generator_predictions.LayerNorm.weight": state["generator_predictions/LayerNorm/gamma"],
                    "generator_predictions.LayerNorm.bias": state["generator_predictions/LayerNorm/beta"],
                    "generator_lm_head.bias": state["generator_predictions/output_bias"],
                    "generator_lm_head.weight": state["electra/embeddings/word_embeddings"]})
    gen.load_state_dict({k: torch.tensor(v) for k, v in weights.items()}, strict=True)
    logits = hf_forward(gen, x).logits.numpy()
    expected = np.take_along_axis(logits, x["masked_lm_positions"][..., None], axis=1)
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"]), expected, atol=1e-4, rtol=1e-5)


def test_hf_generator_folder_is_refused_naming_it(tmp_path):
    torch, transformers = hf_bert.require_hf()
    transformers.ElectraForMaskedLM(hf_config(transformers, 24, 1, 2, 40)).save_pretrained(tmp_path / "gen")
    write_vocab(tmp_path / "gen")
    with pytest.raises(CheckpointError, match="an ELECTRA generator .*ElectraForMaskedLM.*discriminator"):
        load(locate(str(tmp_path / "gen")))


def test_bert_like_json_beside_electra_weights_reads_as_electra(tmp_path):
    """HFL's bundles: BERT's JSON (no embedding_size) for the discriminator, another for the
    generator, beside Google's ELECTRA names."""
    keras.utils.set_random_seed(0)
    config = ElectraConfig(**{**CONFIG.__dict__, "embedding_size": 32, "extra": {}})
    model = ELECTRA.build(config, ("masked_lm", "replaced_token"))
    write_vocab(tmp_path)
    write(str(tmp_path / "b"), model, ELECTRA, config, str(tmp_path / "vocab.txt"), "bundle")
    values = json.loads((tmp_path / "b" / "electra_config.json").read_text())
    bert_like = {k: v for k, v in values.items() if k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "max_position_embeddings", "type_vocab_size", "initializer_range")}
    (tmp_path / "b" / "electra_config.json").unlink()
    (tmp_path / "b" / "base_discriminator_config.json").write_text(json.dumps(bert_like))
    generator = {**bert_like, "hidden_size": 24, "num_attention_heads": 1, "intermediate_size": 40}
    (tmp_path / "b" / "base_generator_config.json").write_text(json.dumps(generator))  # HFL's zips carry both
    loaded = load(locate(str(tmp_path / "b")), heads="present")
    assert loaded.family is ELECTRA and loaded.config.hidden_act == "gelu_erf"
    assert loaded.config.generator_hidden_size == 24 and loaded.config.generator_heads() == 1  # Google's 24 // 64 -> 1
    assert set(loaded.report.initial_heads) == set()


def test_commands_take_an_electra_bundle(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model = ELECTRA.build(CONFIG, ("masked_lm", "replaced_token"))
    write_vocab(tmp_path)
    write(str(tmp_path / "b"), model, ELECTRA, CONFIG, str(tmp_path / "vocab.txt"), "bundle")
    (tmp_path / "in.txt").write_text("中国的首都\n", encoding="utf-8")
    assert run_command("extract_features", [f"--bundle_dir={tmp_path / 'b'}", f"--input_file={tmp_path / 'in.txt'}",
                                            f"--output_file={tmp_path / 'f.jsonl'}", "--layers=-1",
                                            "--max_seq_length=16"]) == 0
    capsys.readouterr()
    assert run_command("fill_mask", [f"--bundle_dir={tmp_path / 'b'}", "--text=中国的[MASK]都", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 1 and len(results[0]) == 5


def test_google_layout_discriminator_matches_bert4keras_electra(tmp_path):
    """bert4keras reads Google's ELECTRA layout: a second witness beside HF."""
    from tests.models.bert4keras_oracle import bert4keras_outputs, padded_inputs, require_bert4keras

    require_bert4keras()
    keras.utils.set_random_seed(4)
    model = perturbed(ELECTRA.build(CONFIG, ("masked_lm", "replaced_token")), seed=4)
    write_vocab(tmp_path)
    write(str(tmp_path / "bundle"), model, ELECTRA, CONFIG, str(tmp_path / "vocab.txt"), "bundle")
    x = padded_inputs(len(VOCAB), 12)
    config = {"vocab_size": len(VOCAB), "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
              "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu", "max_position_embeddings": 64,
              "type_vocab_size": 2}
    theirs = bert4keras_outputs("electra", "erf", config, tmp_path / "bundle" / "electra_model.ckpt", x, tmp_path)
    features = {k: x[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    ours = model({**features, "masked_lm_positions": np.zeros((2, 1), "int32")})
    encoder = model.get_layer("electra_encoder")(features)
    real = x["padding_mask"].astype(bool)
    for i, layer in enumerate(encoder["encoder_outputs"]):
        np.testing.assert_allclose(np.asarray(layer)[real], theirs["encoder_outputs"][i][real], atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours["replaced_token_logits"])[real], theirs["head"][..., 0][real], atol=1e-5)
