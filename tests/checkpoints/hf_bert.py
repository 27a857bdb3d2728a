"""Small random HF `BertForMaskedLM` folders in the layout UER publishes its miniatures in.

The model (PyTorch, transformers) is the independent reference. Its weights are written
as `model.safetensors` (save_pretrained), `pytorch_model.bin`, a `tf_model.h5` in HF's TF2
layout and a UER-py `.bin`; the last two are renamed here from HF's naming rules and UER-py's
own converter (convert_bert_from_huggingface_to_uer.py), not by clue-tf code.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

CHARACTERS = list("中国的首都是北京上海天气很好我们在学习机器翻译文本生成模型数据")
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + CHARACTERS + [f"##{c}" for c in CHARACTERS[:6]]


def require_hf():
    torch = pytest.importorskip("torch", reason="needs torch (test extra: local CPU torch==2.13.0)")
    transformers = pytest.importorskip("transformers", reason="needs transformers (test extra)")
    return torch, transformers


def hf_bert_mlm(folder: Path, layers: int = 2, hidden: int = 32, heads: int = 4, act: str = "gelu",
                formats=("safetensors",), seed: int = 0):
    """A perturbed random BertForMaskedLM (no pooler, as UER's miniatures) saved to `folder`."""
    torch, transformers = require_hf()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in VOCAB), encoding="utf-8")
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=2 * hidden, hidden_act=act, max_position_embeddings=64, type_vocab_size=2,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = transformers.BertForMaskedLM(config).eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.2)
    model.save_pretrained(folder)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    if "safetensors" not in formats:
        (folder / "model.safetensors").unlink()
    if "bin" in formats:
        torch.save({k: torch.from_numpy(v) for k, v in state.items()}, folder / "pytorch_model.bin")
    if "h5" in formats:
        write_hf_tf_h5(state, folder / "tf_model.h5")
    return model, state


def _tf_name(pt_name: str, value: np.ndarray) -> tuple[str, str, bool]:
    """(Keras layer group, HF TF2 weight name, transposed) of a PyTorch BertForMaskedLM key."""
    parts = pt_name.split(".")
    transpose = False
    if parts[-1] == "weight" and "LayerNorm" in parts:
        parts[-1] = "gamma"
    elif parts[-1] == "bias" and "LayerNorm" in parts:
        parts[-1] = "beta"
    elif parts[-2] in ("token_type_embeddings", "position_embeddings"):
        parts[-1] = "embeddings"
    elif parts[-1] == "weight" and parts[-2] != "word_embeddings" and value.ndim == 2:
        parts[-1], transpose = "kernel", True
    path = re.sub(r"/layer/(\d+)/", r"/layer_._\1/", "/".join(parts))
    group = "bert" if parts[0] == "bert" else "mlm___cls"
    if group == "mlm___cls":
        path = "mlm___" + path
    return group, f"tf_bert_for_masked_lm/{path}:0", transpose


def write_hf_tf_h5(state: dict, path: Path) -> None:
    """The weights as TFBertForMaskedLM.save_weights writes them (Keras 2 h5 layout)."""
    import h5py

    names: dict[str, list] = {"bert": [], "mlm___cls": []}
    with h5py.File(path, "w") as f:
        for pt_name, value in state.items():
            if pt_name.startswith("cls.predictions.decoder") or pt_name.endswith("position_ids"):
                continue  # tied / buffers: TF has no separate variable
            group, tf_name, transpose = _tf_name(pt_name, value)
            f.require_group(group).create_dataset(tf_name, data=value.T if transpose else value)
            names[group].append(tf_name.encode())
        f.attrs["layer_names"] = [g.encode() for g in names]
        for group, weights in names.items():
            f[group].attrs["weight_names"] = weights


def write_uer_checkpoint(state: dict, folder: Path, config: dict) -> Path:
    """UER-py names and its 3-row segment table (row 0 padding), plus a UER config."""
    import torch

    uer = {
        "embedding.word.embedding.weight": state["bert.embeddings.word_embeddings.weight"],
        "embedding.pos.embedding.weight": state["bert.embeddings.position_embeddings.weight"],
        "embedding.seg.embedding.weight": np.concatenate(
            [np.zeros((1, config["hidden_size"]), np.float32), state["bert.embeddings.token_type_embeddings.weight"]]),
        "embedding.layer_norm.gamma": state["bert.embeddings.LayerNorm.weight"],
        "embedding.layer_norm.beta": state["bert.embeddings.LayerNorm.bias"],
        "target.mlm.linear_1.weight": state["cls.predictions.transform.dense.weight"],
        "target.mlm.linear_1.bias": state["cls.predictions.transform.dense.bias"],
        "target.mlm.layer_norm.gamma": state["cls.predictions.transform.LayerNorm.weight"],
        "target.mlm.layer_norm.beta": state["cls.predictions.transform.LayerNorm.bias"],
        "target.mlm.linear_2.weight": state["bert.embeddings.word_embeddings.weight"],
        "target.mlm.linear_2.bias": state["cls.predictions.bias"],
    }
    for i in range(config["layers_num"]):
        hf, ours = f"bert.encoder.layer.{i}.", f"encoder.transformer.{i}."
        for k, proj in enumerate(("query", "key", "value")):
            for kind in ("weight", "bias"):
                uer[f"{ours}self_attn.linear_layers.{k}.{kind}"] = state[f"{hf}attention.self.{proj}.{kind}"]
        for kind in ("weight", "bias"):
            uer[f"{ours}self_attn.final_linear.{kind}"] = state[f"{hf}attention.output.dense.{kind}"]
            uer[f"{ours}feed_forward.linear_1.{kind}"] = state[f"{hf}intermediate.dense.{kind}"]
            uer[f"{ours}feed_forward.linear_2.{kind}"] = state[f"{hf}output.dense.{kind}"]
        for norm, hf_norm in (("layer_norm_1", "attention.output.LayerNorm"), ("layer_norm_2", "output.LayerNorm")):
            uer[f"{ours}{norm}.gamma"] = state[f"{hf}{hf_norm}.weight"]
            uer[f"{ours}{norm}.beta"] = state[f"{hf}{hf_norm}.bias"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cluecorpussmall_roberta_model.bin"
    torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in uer.items()}, path)
    (folder / "uer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in VOCAB), encoding="utf-8")
    return path


def uer_config(layers: int = 2, hidden: int = 32, heads: int = 4) -> dict:
    """A UER-py BERT config (models/bert/*_config.json style)."""
    return {"emb_size": hidden, "feedforward_size": 2 * hidden, "hidden_size": hidden, "hidden_act": "gelu",
            "heads_num": heads, "layers_num": layers, "max_seq_length": 64, "dropout": 0.1,
            "data_processor": "mlm", "embedding": ["word", "pos", "seg"], "encoder": "transformer",
            "mask": "fully_visible", "target": ["mlm"], "tie_weights": True}
