"""ERNIE 3.0 against HF transformers' ErnieForPreTraining (PyTorch): every layer, the pooler,
the MLM and NSP logits, with ERNIE 3.0's task-type table and LayerNorm epsilon 1e-5."""

import json

import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate, write_loaded
from clue_tf.cli import run_command
from clue_tf.errors import ClueTfError
from clue_tf.models.ernie.family import ERNIE
from tests.checkpoints import hf_bert
from tests.models.hf_encoders import (VOCAB, assert_every_layer_equal, assert_first_token_equal, encoder_inputs,
                                      hf_forward, saved_perturbed)


@pytest.fixture(scope="module")
def hf_ernie(tmp_path_factory):
    torch, transformers = hf_bert.require_hf()
    folder = tmp_path_factory.mktemp("hf_ernie")
    config = transformers.ErnieConfig(
        vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64, type_vocab_size=4, task_type_vocab_size=3, use_task_id=True,
        layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    return saved_perturbed(transformers.ErnieForPreTraining(config), folder)


def test_matches_hf_ernie_for_pretraining_on_every_layer(hf_ernie):
    folder, hf_model = hf_ernie
    loaded = load(locate(str(folder)), heads="present")
    assert loaded.family is ERNIE and loaded.config.layer_norm_eps == 1e-5 and loaded.config.use_task_id
    assert set(loaded.report.initial_heads) == set()
    x = encoder_inputs()
    positions = np.tile(np.arange(9, dtype="int32"), (2, 1))
    ours = loaded.model({**x, "masked_lm_positions": positions})
    theirs = hf_forward(hf_model, x)
    assert_every_layer_equal(loaded.model.get_layer("ernie_encoder")(x)["encoder_outputs"], theirs.hidden_states,
                             x["padding_mask"])
    real = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[real], theirs.prediction_logits.numpy()[real],
                               atol=1e-4, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ours["next_sentence_logits"]), theirs.seq_relationship_logits.numpy(),
                               atol=1e-5)
    assert_first_token_equal(folder, x, theirs.hidden_states[-1].numpy())


def test_written_hf_folder_loads_in_transformers_with_equal_outputs(hf_ernie, tmp_path):
    _, transformers = hf_bert.require_hf()
    folder, hf_model = hf_ernie
    write_loaded(str(tmp_path / "hf"), load(locate(str(folder)), heads="present"), "hf")
    again = transformers.ErnieForPreTraining.from_pretrained(str(tmp_path / "hf")).eval()
    x = encoder_inputs()
    np.testing.assert_allclose(hf_forward(again, x).prediction_logits.numpy(),
                               hf_forward(hf_model, x).prediction_logits.numpy(), atol=1e-6)


def test_no_tf1_bundle_for_ernie_says_so(hf_ernie, tmp_path):
    folder, _ = hf_ernie
    with pytest.raises(ClueTfError, match="ernie models cannot be written as bundle; use --output_format=hf"):
        write_loaded(str(tmp_path / "b"), load(locate(str(folder)), heads="present"), "bundle")


def test_fill_mask_takes_an_ernie_folder(hf_ernie, capsys):
    folder, _ = hf_ernie
    assert run_command("fill_mask", [f"--bundle_dir={folder}", "--text=中国的[MASK]都", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)[0]) == 5
