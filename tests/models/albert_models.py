"""ALBERT checkpoints made by independent code, for tests.

`google_albert_bundle`: Google's own modeling.py (albert-tensorflow, subprocess) writes a
random checkpoint and its outputs. `brightmart_checkpoint` + `brightmart_reference`: a
random checkpoint in brightmart's own names, and its outputs computed here in float64
NumPy from the data flow of brightmart's modeling.py as `shared/reference/albert_zh.md`
describes it (projection before the LayerNorm, `layer_shared`, post- or pre-LN, MLM
decoder through both tables) -- not from clue-tf code.
"""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.checkpoints import google_models
from tests.helpers import finish_oracle, start_oracle

GOOGLE_CONFIGS = {
    # Google's Chinese models: relu, E < H, one group
    "zh_relu": dict(vocab_size=60, embedding_size=16, hidden_size=32, num_hidden_layers=3, num_hidden_groups=1,
                    inner_group_num=1, num_attention_heads=4, intermediate_size=48, hidden_act="relu",
                    max_position_embeddings=40, type_vocab_size=2, initializer_range=0.2,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
    # groups and inner groups, tanh GELU (brightmart's *_google releases)
    "groups_gelu": dict(vocab_size=60, embedding_size=16, hidden_size=24, num_hidden_layers=4, num_hidden_groups=2,
                        inner_group_num=2, num_attention_heads=3, intermediate_size=40, hidden_act="gelu",
                        max_position_embeddings=40, type_vocab_size=2, initializer_range=0.2,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
    # E == H: no embedding_hidden_mapping_in
    "e_equals_h": dict(vocab_size=60, embedding_size=24, hidden_size=24, num_hidden_layers=2, num_hidden_groups=1,
                       inner_group_num=1, num_attention_heads=2, intermediate_size=40, hidden_act="relu",
                       max_position_embeddings=40, type_vocab_size=2, initializer_range=0.2,
                       hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
}
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def require_google_albert() -> None:
    for module, why in (("albert", "albert-tensorflow==1.1"), ("tf_keras", "tf-keras, for tf.compat.v1.layers")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs {why} (test extra)")


def write_vocab(path: Path, size: int) -> None:
    path.write_text("".join(t + "\n" for t in SPECIAL + [f"tok{i}" for i in range(size - len(SPECIAL))]),
                    encoding="utf-8")


def random_inputs(vocab_size: int, seed: int = 7) -> dict:
    return google_models.random_inputs({"vocab_size": vocab_size, "type_vocab_size": 2}, seed)


def google_albert_outputs(out_dir: Path, config: dict, inputs: dict, checkpoint: str = None) -> dict:
    require_google_albert()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "albert_config.json").write_text(json.dumps(config))
    np.savez(out_dir / "inputs.npz", **inputs)
    finish_oracle(start_oracle("google_albert.py", "model", str(out_dir / "albert_config.json"),
                               str(out_dir / "inputs.npz"), str(out_dir), *([checkpoint] if checkpoint else []),
                               env={"TF_USE_LEGACY_KERAS": "1"}))
    outputs = dict(np.load(out_dir / "outputs.npz"))
    for scratch in ("inputs.npz", "outputs.npz", "checkpoint"):
        (out_dir / scratch).unlink(missing_ok=True)
    return outputs


def google_albert_bundle(bundle_dir: Path, config: dict):
    """A folder as Google releases it (albert_config.json, model.ckpt-best.*, vocab)."""
    inputs = random_inputs(config["vocab_size"])
    outputs = google_albert_outputs(bundle_dir, config, inputs)
    write_vocab(bundle_dir / "vocab_chinese.txt", config["vocab_size"])
    return bundle_dir, outputs, inputs


# --- brightmart's own layout -------------------------------------------------------------

BRIGHTMART_CONFIG = dict(vocab_size=60, embedding_size=16, hidden_size=24, num_hidden_layers=3,
                         num_attention_heads=3, intermediate_size=40, hidden_act="gelu",
                         max_position_embeddings=40, type_vocab_size=2, initializer_range=0.02,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, ln_type="postln",
                         directionality="bidi", pooler_type="first_token_transform")


def brightmart_checkpoint(folder: Path, config: dict, seed: int = 0) -> dict:
    """Random weights under brightmart's names, saved with SaveV2 as a TF1 checkpoint."""
    rng = np.random.default_rng(seed)
    v, e, h, i = config["vocab_size"], config["embedding_size"], config["hidden_size"], config["intermediate_size"]
    p, t = config["max_position_embeddings"], config["type_vocab_size"]
    shapes = {"bert/embeddings/word_embeddings": (v, e), "bert/embeddings/word_embeddings_2": (e, h),
              "bert/embeddings/token_type_embeddings": (t, h), "bert/embeddings/position_embeddings": (p, h),
              "bert/embeddings/LayerNorm/gamma": (h,), "bert/embeddings/LayerNorm/beta": (h,),
              "bert/pooler/dense/kernel": (h, h), "bert/pooler/dense/bias": (h,),
              "cls/predictions/transform/dense/kernel": (h, h), "cls/predictions/transform/dense/bias": (h,),
              "cls/predictions/transform/LayerNorm/gamma": (h,), "cls/predictions/transform/LayerNorm/beta": (h,),
              "cls/predictions/output_bias": (v,), "cls/seq_relationship/output_weights": (2, h),
              "cls/seq_relationship/output_bias": (2,)}
    block = "bert/encoder/layer_shared/"
    for proj in ("query", "key", "value"):
        shapes[f"{block}attention/self/{proj}/kernel"] = (h, h)
        shapes[f"{block}attention/self/{proj}/bias"] = (h,)
    shapes.update({f"{block}attention/output/dense/kernel": (h, h), f"{block}attention/output/dense/bias": (h,),
                   f"{block}attention/output/LayerNorm/gamma": (h,), f"{block}attention/output/LayerNorm/beta": (h,),
                   f"{block}intermediate/dense/kernel": (h, i), f"{block}intermediate/dense/bias": (i,),
                   f"{block}output/dense/kernel": (i, h), f"{block}output/dense/bias": (h,),
                   f"{block}output/LayerNorm/gamma": (h,), f"{block}output/LayerNorm/beta": (h,)})
    weights = {}
    for name, shape in shapes.items():
        value = rng.normal(0, 0.3, shape)
        if name.endswith("gamma"):
            value = 1 + 0.1 * value
        weights[name] = value.astype(np.float32)
    weights["global_step"] = np.array(1000, np.int64)
    weights["bert/encoder/layer_shared/output/dense/kernel/adam_m"] = np.zeros((i, h), np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(weights)
    tf.raw_ops.SaveV2(prefix=str(folder / "albert_model.ckpt"), tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=[tf.constant(weights[n]) for n in names])
    (folder / "albert_config_tiny.json").write_text(json.dumps(config))
    write_vocab(folder / "vocab.txt", v)
    return weights


def _layer_norm(x, gamma, beta):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * gamma + beta


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _softmax(x):
    x = x - x.max(-1, keepdims=True)
    return np.exp(x) / np.exp(x).sum(-1, keepdims=True)


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def brightmart_reference(weights: dict, config: dict, inputs: dict, preln: bool = False) -> dict:
    """brightmart's forward pass in float64: every layer, pooled output, MLM and SOP log-probs."""
    w = {k: np.asarray(v, np.float64) for k, v in weights.items()}
    ids, segs, mask = inputs["input_ids"], inputs["segment_ids"], inputs["input_mask"]
    heads = config["num_attention_heads"]
    h = config["hidden_size"]
    d = h // heads
    x = w["bert/embeddings/word_embeddings"][ids] @ w["bert/embeddings/word_embeddings_2"]
    x = x + w["bert/embeddings/position_embeddings"][: ids.shape[1]] + w["bert/embeddings/token_type_embeddings"][segs]
    x = _layer_norm(x, w["bert/embeddings/LayerNorm/gamma"], w["bert/embeddings/LayerNorm/beta"])
    b = "bert/encoder/layer_shared/"
    bias = (1.0 - mask[:, None, None, :]) * -10000.0  # key axis only, as Google's code

    def attention(y):
        def split(t):
            return t.reshape(t.shape[0], t.shape[1], heads, d).transpose(0, 2, 1, 3)
        q, k, v = (split(y @ w[f"{b}attention/self/{n}/kernel"] + w[f"{b}attention/self/{n}/bias"])
                   for n in ("query", "key", "value"))
        probs = _softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(y.shape)
        return context @ w[f"{b}attention/output/dense/kernel"] + w[f"{b}attention/output/dense/bias"]

    def ffn(y):
        inner = _gelu_tanh(y @ w[f"{b}intermediate/dense/kernel"] + w[f"{b}intermediate/dense/bias"])
        return inner @ w[f"{b}output/dense/kernel"] + w[f"{b}output/dense/bias"]

    def norm(name, y):
        return _layer_norm(y, w[f"{b}{name}/LayerNorm/gamma"], w[f"{b}{name}/LayerNorm/beta"])

    layers = []
    for _ in range(config["num_hidden_layers"]):
        if preln:  # LN before each sub-layer, residuals unnormalised, no final LN
            x = x + attention(norm("attention/output", x))
            x = x + ffn(norm("output", x))
        else:
            x = norm("attention/output", x + attention(x))
            x = norm("output", x + ffn(x))
        layers.append(x)
    pooled = np.tanh(x[:, 0] @ w["bert/pooler/dense/kernel"] + w["bert/pooler/dense/bias"])
    picked = np.take_along_axis(x, inputs["masked_lm_positions"][..., None], axis=1).reshape(-1, h)
    t = _gelu_tanh(picked @ w["cls/predictions/transform/dense/kernel"] + w["cls/predictions/transform/dense/bias"])
    t = _layer_norm(t, w["cls/predictions/transform/LayerNorm/gamma"], w["cls/predictions/transform/LayerNorm/beta"])
    logits = (t @ w["bert/embeddings/word_embeddings_2"].T) @ w["bert/embeddings/word_embeddings"].T
    logits = logits + w["cls/predictions/output_bias"]
    sop = pooled @ w["cls/seq_relationship/output_weights"].T + w["cls/seq_relationship/output_bias"]
    return {"encoder_outputs": np.stack(layers), "pooled_output": pooled,
            "masked_lm_log_probs": _log_softmax(logits), "next_sentence_log_probs": _log_softmax(sop)}
