"""RoFormer against HF transformers' RoFormerForMaskedLM (PyTorch): every layer and the MLM
logits, rotary positions included, with an embedding projection (E != H)."""

import json

import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate, write_loaded
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError
from clue_tf.models.roformer.family import ROFORMER
from tests.checkpoints import hf_bert
from tests.models.hf_encoders import (VOCAB, assert_every_layer_equal, assert_first_token_equal, encoder_inputs,
                                      hf_forward, saved_perturbed, write_vocab)


@pytest.fixture(scope="module")
def hf_roformer(tmp_path_factory):
    torch, transformers = hf_bert.require_hf()
    folder = tmp_path_factory.mktemp("hf_roformer")
    config = transformers.RoFormerConfig(
        vocab_size=len(VOCAB), embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=96, type_vocab_size=2, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    return saved_perturbed(transformers.RoFormerForMaskedLM(config), folder)  # not the computed sinusoids


@pytest.mark.parametrize("length", [9, 80])
def test_matches_hf_roformer_for_masked_lm_on_every_layer(hf_roformer, length):
    folder, hf_model = hf_roformer
    loaded = load(locate(str(folder)), heads="present")
    assert loaded.family is ROFORMER and loaded.config.embedding_size == 16 and not loaded.config.use_pooler
    x = encoder_inputs(length, seed=5)
    positions = np.tile(np.arange(length, dtype="int32"), (2, 1))
    ours = loaded.model({**x, "masked_lm_positions": positions})
    theirs = hf_forward(hf_model, x)
    assert_every_layer_equal(loaded.model.get_layer("roformer_encoder")(x)["encoder_outputs"], theirs.hidden_states,
                             x["padding_mask"])
    real = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[real], theirs.logits.numpy()[real],
                               atol=1e-4, rtol=1e-5)
    assert_first_token_equal(folder, x, theirs.hidden_states[-1].numpy())  # rotary: the query at position 0


def test_hf_folder_to_zhuiyi_bundle_and_back_loads_in_transformers(hf_roformer, tmp_path):
    _, transformers = hf_bert.require_hf()
    folder, hf_model = hf_roformer
    write_loaded(str(tmp_path / "bundle"), load(locate(str(folder)), heads="present"), "bundle")
    config = json.loads((tmp_path / "bundle" / "bert_config.json").read_text())
    zhuiyi = {k: v for k, v in config.items() if k not in ("model_family", "use_pooler")}
    (tmp_path / "bundle" / "bert_config.json").write_text(json.dumps(zhuiyi))  # BERT's JSON, as Zhuiyi ships
    again = load(locate(str(tmp_path / "bundle")), heads="present")
    assert again.family is ROFORMER
    write_loaded(str(tmp_path / "hf"), again, "hf")
    reread = transformers.RoFormerForMaskedLM.from_pretrained(str(tmp_path / "hf")).eval()
    x = encoder_inputs(seed=5)
    np.testing.assert_allclose(hf_forward(reread, x).logits.numpy(), hf_forward(hf_model, x).logits.numpy(), atol=1e-5)


def test_sinusoids_that_are_not_roformers_are_refused(hf_roformer, tmp_path):
    import safetensors.numpy

    folder, _ = hf_roformer
    state = safetensors.numpy.load_file(str(folder / "model.safetensors"))
    state["roformer.encoder.embed_positions.weight"] = state["roformer.encoder.embed_positions.weight"][:, ::-1].copy()
    (tmp_path / "bad").mkdir()
    safetensors.numpy.save_file(state, str(tmp_path / "bad" / "model.safetensors"))
    for name in ("config.json", "vocab.txt"):
        (tmp_path / "bad" / name).write_bytes((folder / name).read_bytes())
    with pytest.raises(CheckpointError, match="embed_positions.weight: differs from the rotary sinusoids"):
        load(locate(str(tmp_path / "bad")), heads="present")


def test_roformer_weights_under_a_bert_hf_config_name_the_family(hf_roformer, tmp_path):
    folder, _ = hf_roformer
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    (tmp_path / "mixed" / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": len(VOCAB),
                                                                 "hidden_size": 32, "num_hidden_layers": 2}))
    with pytest.raises(CheckpointError, match="holds roformer weights, but the config describes a bert model"):
        load(locate(str(tmp_path / "mixed")))


def test_fill_mask_takes_a_roformer_folder(hf_roformer, capsys):
    folder, _ = hf_roformer
    assert run_command("fill_mask", [f"--bundle_dir={folder}", "--text=中国的[MASK]都", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)[0]) == 5


def test_zhuiyi_bundle_matches_bert4keras_roformer(hf_roformer, tmp_path):
    """bert4keras (which Zhuiyi's RoFormer was trained with) reads the bundle we write."""
    from tests.models.bert4keras_oracle import bert4keras_outputs, padded_inputs, require_bert4keras

    require_bert4keras()
    folder, _ = hf_roformer
    write_loaded(str(tmp_path / "bundle"), load(locate(str(folder)), heads="present"), "bundle")
    loaded = load(locate(str(tmp_path / "bundle")), heads=("masked_lm",))
    x = padded_inputs(len(VOCAB), 40)
    config = {"vocab_size": len(VOCAB), "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
              "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu", "max_position_embeddings": 96,
              "type_vocab_size": 2}
    theirs = bert4keras_outputs("roformer", "erf", config, tmp_path / "bundle" / "bert_model.ckpt", x, tmp_path)
    features = {k: x[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    ours = loaded.model({**features, "masked_lm_positions": np.tile(np.arange(40, dtype="int32"), (2, 1))})
    encoder = loaded.model.get_layer("roformer_encoder")(features)
    real = x["padding_mask"].astype(bool)
    for i, layer in enumerate(encoder["encoder_outputs"]):
        np.testing.assert_allclose(np.asarray(layer)[real], theirs["encoder_outputs"][i][real], atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[real], theirs["head"][real], atol=1e-4, rtol=1e-5)


def test_a_bundle_with_a_pooler_keeps_it_and_has_no_hf_form(tmp_path):
    """Zhuiyi-style bundles may carry BERT's pooler: the checkpoint decides; HF's RoFormer has none."""
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.errors import ClueTfError
    from clue_tf.models.roformer.config import RoFormerConfig

    config = RoFormerConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                            intermediate_size=64, use_pooler=True)
    keras.utils.set_random_seed(0)
    write_vocab(tmp_path)
    write(str(tmp_path / "b"), ROFORMER.build(config), ROFORMER, config, str(tmp_path / "vocab.txt"), "bundle")
    loaded = load(locate(str(tmp_path / "b")))
    assert loaded.config.use_pooler and "bert/pooler/dense/kernel" in loaded.report.loaded
    with pytest.raises(ClueTfError, match="the hf format has no place for pooled_dense"):
        write_loaded(str(tmp_path / "hf"), loaded, "hf")
