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

VOCAB = hf_bert.VOCAB


@pytest.fixture(scope="module")
def hf_ernie(tmp_path_factory):
    torch, transformers = hf_bert.require_hf()
    folder = tmp_path_factory.mktemp("hf_ernie")
    config = transformers.ErnieConfig(
        vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64, type_vocab_size=4, task_type_vocab_size=3, use_task_id=True,
        layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    model = transformers.ErnieForPreTraining(config).eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.2)
    model.save_pretrained(folder)
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in VOCAB), encoding="utf-8")
    return folder, model


def inputs():
    rng = np.random.default_rng(4)
    ids = rng.integers(5, len(VOCAB), (2, 9)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    segments = np.zeros_like(ids)
    segments[:, 4:] = 1
    return {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}


def hf_forward(model, torch, x):
    with torch.no_grad():
        return model(input_ids=torch.tensor(x["token_ids"], dtype=torch.long),
                     token_type_ids=torch.tensor(x["segment_ids"], dtype=torch.long),
                     attention_mask=torch.tensor(x["padding_mask"], dtype=torch.long), output_hidden_states=True)


def test_matches_hf_ernie_for_pretraining_on_every_layer(hf_ernie):
    torch, _ = hf_bert.require_hf()
    folder, hf_model = hf_ernie
    loaded = load(locate(str(folder)), heads="present")
    assert loaded.family is ERNIE and loaded.config.layer_norm_eps == 1e-5 and loaded.config.use_task_id
    assert set(loaded.report.initial_heads) == set()
    x = inputs()
    positions = np.tile(np.arange(9, dtype="int32"), (2, 1))
    ours = loaded.model({**x, "masked_lm_positions": positions})
    encoder = loaded.model.get_layer("ernie_encoder")(x)
    theirs = hf_forward(hf_model, torch, x)
    real = x["padding_mask"].astype(bool)
    for i, layer in enumerate(encoder["encoder_outputs"]):
        np.testing.assert_allclose(np.asarray(layer)[real], theirs.hidden_states[i + 1].numpy()[real], atol=1e-5,
                                   err_msg=f"layer {i}")
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[real], theirs.prediction_logits.numpy()[real],
                               atol=1e-4, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ours["next_sentence_logits"]), theirs.seq_relationship_logits.numpy(),
                               atol=1e-5)


def test_written_hf_folder_loads_in_transformers_with_equal_outputs(hf_ernie, tmp_path):
    torch, transformers = hf_bert.require_hf()
    folder, hf_model = hf_ernie
    write_loaded(str(tmp_path / "hf"), load(locate(str(folder)), heads="present"), "hf")
    again = transformers.ErnieForPreTraining.from_pretrained(str(tmp_path / "hf")).eval()
    x = inputs()
    np.testing.assert_allclose(hf_forward(again, torch, x).prediction_logits.numpy(),
                               hf_forward(hf_model, torch, x).prediction_logits.numpy(), atol=1e-6)


def test_no_tf1_bundle_for_ernie_says_so(hf_ernie, tmp_path):
    folder, _ = hf_ernie
    with pytest.raises(ClueTfError, match="ernie models cannot be written as bundle; use --output_format=hf"):
        write_loaded(str(tmp_path / "b"), load(locate(str(folder)), heads="present"), "bundle")


def test_fill_mask_takes_an_ernie_folder(hf_ernie, capsys):
    folder, _ = hf_ernie
    assert run_command("fill_mask", [f"--bundle_dir={folder}", "--text=中国的[MASK]都", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)[0]) == 5
