"""Bundles made by Google's own modeling.py (random weights), for checkpoint tests."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import finish_oracle, start_oracle

CONFIGS = {
    "tiny_type2": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=37, type_vocab_size=2, max_position_embeddings=64),
    "h312_heads12": dict(vocab_size=120, hidden_size=312, num_hidden_layers=2,
                         num_attention_heads=12, intermediate_size=1248, type_vocab_size=2,
                         max_position_embeddings=40),
    "type16_relu": dict(vocab_size=50, hidden_size=24, num_hidden_layers=3, num_attention_heads=3,
                        intermediate_size=48, type_vocab_size=16, hidden_act="relu",
                        max_position_embeddings=32),
}


def require_google_bert() -> None:
    for module, why in (("bert", "bert-tensorflow==1.0.4"), ("tf_keras", "tf-keras, for tf.compat.v1.layers")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs {why} (test extra)")


def random_inputs(config: dict, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    batch, length = 3, 11
    inputs = {
        "input_ids": rng.integers(0, config["vocab_size"], (batch, length)).astype(np.int32),
        "segment_ids": rng.integers(0, min(2, config["type_vocab_size"]), (batch, length)).astype(np.int32),
        "input_mask": np.ones((batch, length), np.int32),
        "masked_lm_positions": rng.integers(0, length, (batch, 4)).astype(np.int32),
        "seed": np.array(seed),
    }
    inputs["input_mask"][1, 6:] = 0
    inputs["input_mask"][2, 2:] = 0
    return inputs


def google_model_outputs(out_dir: Path, config: dict, inputs: dict, checkpoint: str = None) -> dict:
    """Runs Google's BertModel and heads in a subprocess; returns its outputs."""
    require_google_bert()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bert_config.json").write_text(json.dumps(config))
    np.savez(out_dir / "inputs.npz", **inputs)
    args = [str(out_dir / "bert_config.json"), str(out_dir / "inputs.npz"), str(out_dir)]
    finish_oracle(start_oracle("google_bert.py", "model", *args, *([checkpoint] if checkpoint else []),
                               env={"TF_USE_LEGACY_KERAS": "1"}))
    return dict(np.load(out_dir / "outputs.npz"))


def google_bundle(bundle_dir: Path, config: dict):
    """A bundle folder written by Google's Saver: (folder, Google's outputs, inputs)."""
    inputs = random_inputs(config)
    outputs = google_model_outputs(bundle_dir, config, inputs)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = special + [f"tok{i}" for i in range(config["vocab_size"] - len(special))]
    (bundle_dir / "vocab.txt").write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    for scratch in ("inputs.npz", "outputs.npz"):
        (bundle_dir / scratch).unlink()
    for state in bundle_dir.glob("checkpoint"):
        state.unlink()
    return bundle_dir, outputs, inputs
