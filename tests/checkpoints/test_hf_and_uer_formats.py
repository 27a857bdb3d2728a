"""BERT from the forms UER's miniatures and HF users have: safetensors, pytorch_model.bin,
tf_model.h5 and UER-py checkpoints, against HF transformers (PyTorch) as the reference."""

import json

import numpy as np
import pytest

from clue_tf.checkpoints.folders import load, locate
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError
from tests.checkpoints import hf_bert

TEXT = "中国的首都是[MASK]京"
FORMATS = ["safetensors", "bin", "h5"]


@pytest.fixture(scope="module")
def hf_folders(tmp_path_factory):
    """{format: folder holding only that weight file}, and the HF model they all came from."""
    root = tmp_path_factory.mktemp("hf")
    folders = {}
    for fmt in FORMATS:
        model, state = hf_bert.hf_bert_mlm(root / fmt, formats=(fmt,))
        folders[fmt] = root / fmt
    return folders, model, state


def hf_fill_mask(folder, text, top_k):
    _, transformers = hf_bert.require_hf()
    fill = transformers.pipeline("fill-mask", model=str(folder), tokenizer=str(folder), top_k=top_k, device="cpu")
    return fill(text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fill_mask_command_matches_hf_pipeline_top_k(hf_folders, fmt, capsys):
    folders, _, _ = hf_folders
    if fmt != "safetensors":  # HF's pipeline reads the safetensors twin; ours reads this format
        reference_folder = folders["safetensors"]
    else:
        reference_folder = folders[fmt]
    expected = hf_fill_mask(reference_folder, TEXT, top_k=5)
    assert run_command("fill_mask", [f"--bundle_dir={folders[fmt]}", f"--text={TEXT}", "--top_k=5", "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)[0]
    assert [c["token"] for c in ours] == [c["token"] for c in expected]
    assert [c["token_str"] for c in ours] == [c["token_str"] for c in expected]
    assert [c["sequence"] for c in ours] == [c["sequence"] for c in expected]
    np.testing.assert_allclose([c["score"] for c in ours], [c["score"] for c in expected], atol=1e-5)


@pytest.mark.parametrize("text", ["北京是[MASK]国的首[MASK]。", "中国的首都是[MASK]京☃"],
                         ids=["two-masks", "one-mask-and-unknown"])
def test_fill_mask_fields_equal_hf_pipelines(hf_folders, text, capsys):
    """HF keeps [CLS], [SEP] and the other masks in `sequence` when a text has several masks,
    and drops every special token ([UNK] too) when it has one."""
    folders, _, _ = hf_folders
    expected = hf_fill_mask(folders["safetensors"], text, top_k=3)
    expected = expected if isinstance(expected[0], list) else [expected]
    assert run_command("fill_mask", [f"--bundle_dir={folders['safetensors']}", f"--text={text}", "--top_k=3",
                                     "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert len(ours) == len(expected)
    for mine, theirs in zip(ours, expected):
        assert [{k: c[k] for k in ("token", "token_str", "sequence")} for c in mine] == \
            [{k: c[k] for k in ("token", "token_str", "sequence")} for c in theirs]
        np.testing.assert_allclose([c["score"] for c in mine], [c["score"] for c in theirs], atol=1e-5)


def test_fill_mask_text_output_names_the_pipeline_fields(hf_folders, capsys):
    folders, _, _ = hf_folders
    assert run_command("fill_mask", [f"--bundle_dir={folders['safetensors']}", f"--text={TEXT}", "--top_k=2"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert all(f"{field}=" in line for field in ("score", "token", "token_str", "sequence"))


def hf_last_layer(model, texts_ids):
    import torch

    with torch.no_grad():
        out = model.bert(input_ids=torch.tensor(texts_ids), attention_mask=torch.ones_like(torch.tensor(texts_ids)))
    return out.last_hidden_state.numpy()


@pytest.mark.parametrize("fmt", FORMATS)
def test_extract_features_last_layer_matches_hf_bert(hf_folders, fmt, tmp_path):
    folders, model, _ = hf_folders
    (tmp_path / "in.txt").write_text("中国的首都是北京\n我们在学习\n", encoding="utf-8")
    assert run_command("extract_features", [f"--bundle_dir={folders[fmt]}", f"--input_file={tmp_path / 'in.txt'}",
                                            f"--output_file={tmp_path / 'out.jsonl'}", "--layers=-1",
                                            "--max_seq_length=16"]) == 0
    vocab = {t: i for i, t in enumerate(hf_bert.VOCAB)}
    for line, text in zip((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines(), ("中国的首都是北京", "我们在学习")):
        features = json.loads(line)["features"]
        ids = [vocab["[CLS]"], *[vocab[c] for c in text], vocab["[SEP]"]]
        expected = hf_last_layer(model, [ids])[0]
        ours = np.array([f["layers"][0]["values"] for f in features])
        np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_uer_checkpoint_loads_with_its_own_config_and_matches_hf(hf_folders, tmp_path):
    _, model, state = hf_folders
    config = hf_bert.uer_config()
    weights = hf_bert.write_uer_checkpoint(state, tmp_path / "uer", config)
    files = locate(weights=str(weights), config_file=str(tmp_path / "uer" / "uer_config.json"),
                   vocab_file=str(tmp_path / "uer" / "vocab.txt"))
    loaded = load(files, heads=("masked_lm",), require=("masked_lm",))
    assert loaded.weight_dialect == "uer" and loaded.config.hidden_act == "gelu_erf"
    assert loaded.config.type_vocab_size == 2  # UER's padding row is not a segment
    ids = np.array([[2, 5, 6, 7, 8, 3]], np.int32)
    ours = loaded.model({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids),
                         "masked_lm_positions": np.array([[1, 2]], np.int32)})
    import torch

    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ids).long()).logits.numpy()
    np.testing.assert_allclose(np.asarray(ours["masked_lm_logits"])[0], logits[0, [1, 2]], atol=1e-4)


def test_hf_to_bundle_to_hf_loads_in_transformers_with_equal_logits(hf_folders, tmp_path):
    folders, model, _ = hf_folders
    _, transformers = hf_bert.require_hf()
    import torch

    assert run_command("convert", [f"--bundle_dir={folders['safetensors']}", f"--output_dir={tmp_path / 'bundle'}"]) == 0
    assert json.loads((tmp_path / "bundle" / "bert_config.json").read_text())["hidden_act"] == "gelu_erf"
    assert run_command("convert", [f"--bundle_dir={tmp_path / 'bundle'}", f"--output_dir={tmp_path / 'hf'}",
                                   "--output_format=hf"]) == 0
    assert json.loads((tmp_path / "hf" / "config.json").read_text())["hidden_act"] == "gelu"  # erf, HF's word
    reloaded = transformers.BertForMaskedLM.from_pretrained(str(tmp_path / "hf")).eval()
    ids = torch.tensor([[2, 5, 6, 7, 4, 9, 3]])
    with torch.no_grad():
        np.testing.assert_allclose(reloaded(input_ids=ids).logits.numpy(), model(input_ids=ids).logits.numpy(),
                                   atol=1e-5)


def test_another_familys_weights_under_a_bert_config_name_the_family(tmp_path):
    from safetensors.numpy import save_file

    from tests.seq2seq import hf_models

    hf_models.hf_t5(tmp_path, vocab_size=len(hf_models.write_vocab(tmp_path / "vocab.txt")))
    bert_config = {"model_type": "bert", "vocab_size": 150, "hidden_size": 32, "num_hidden_layers": 2,
                   "num_attention_heads": 4, "intermediate_size": 64}
    (tmp_path / "config.json").write_text(json.dumps(bert_config))
    with pytest.raises(CheckpointError, match="holds t5 weights, but the config describes a bert model"):
        load(locate(str(tmp_path)))
    save_file({"x": np.zeros(2, np.float32)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match="no bert weights recognised"):
        load(locate(str(tmp_path)))
