"""Running tests/oracles/bert4keras_model.py on a bundle we wrote, for the families it reads."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import finish_oracle, start_oracle


def require_bert4keras() -> None:
    pytest.importorskip("bert4keras", reason="needs bert4keras 0.11.5 (scripts/ensure_env.sh installs it --no-deps)")


def bert4keras_outputs(model: str, gelu: str, config: dict, checkpoint: Path, inputs: dict, tmp: Path) -> dict:
    """{"encoder_outputs": [L, B, T, H], "head": MLM logits or discriminator logits}."""
    require_bert4keras()
    (tmp / "b4k_config.json").write_text(json.dumps(config))
    np.savez(tmp / "b4k_inputs.npz", token_ids=inputs["token_ids"], segment_ids=inputs["segment_ids"])
    finish_oracle(start_oracle("bert4keras_model.py", model, gelu, str(tmp / "b4k_config.json"), str(checkpoint),
                               str(tmp / "b4k_inputs.npz"), str(tmp / "b4k_out.npz")), timeout=600)
    return dict(np.load(tmp / "b4k_out.npz"))


def padded_inputs(vocab_size: int, length: int, seed: int = 0) -> dict:
    """Two rows, the second padded with token 0 (bert4keras masks token 0), two segments."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab_size, (2, length)).astype("int32")
    ids[1, length - 4:] = 0
    segments = np.zeros_like(ids)
    segments[:, length // 2:] = 1
    return {"token_ids": ids, "segment_ids": segments, "padding_mask": (ids != 0).astype("int32")}
