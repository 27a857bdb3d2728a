"""Small perturbed HF encoder folders (ELECTRA, ERNIE, RoFormer) and their forward pass: the
independent side of the new families' parity tests."""

from pathlib import Path

import numpy as np

from tests.checkpoints import hf_bert

VOCAB = hf_bert.VOCAB


def write_vocab(folder: Path) -> Path:
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in VOCAB), encoding="utf-8")
    return folder / "vocab.txt"


def saved_perturbed(model, folder: Path, seed: int = 0, skip: str = "embed_positions"):
    """`model` with every trained weight moved by noise (not computed tables), saved with a vocab."""
    torch, _ = hf_bert.require_hf()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if skip not in name:
                p.add_(torch.randn(p.shape, generator=generator) * 0.2)
    model.eval().save_pretrained(folder)
    write_vocab(folder)
    return folder, model


def encoder_inputs(length: int = 9, seed: int = 3) -> dict:
    """Two rows, the second with three padded positions, two segments."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, len(VOCAB), (2, length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, length - 3:] = 0
    segments = np.zeros_like(ids)
    segments[:, length // 2:] = 1
    return {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}


def hf_forward(model, x: dict):
    torch, _ = hf_bert.require_hf()
    with torch.no_grad():
        return model(input_ids=torch.tensor(x["token_ids"], dtype=torch.long),
                     token_type_ids=torch.tensor(x["segment_ids"], dtype=torch.long),
                     attention_mask=torch.tensor(x["padding_mask"], dtype=torch.long), output_hidden_states=True)


def assert_every_layer_equal(encoder_outputs, hidden_states, mask, atol: float = 1e-5) -> None:
    """Our encoder_outputs against HF's hidden_states[1:] at the real tokens (padded query
    rows are unspecified in both)."""
    real = np.asarray(mask).astype(bool)
    for i, layer in enumerate(encoder_outputs):
        np.testing.assert_allclose(np.asarray(layer)[real], hidden_states[i + 1].numpy()[real], atol=atol,
                                   err_msg=f"layer {i}")


def assert_first_token_equal(folder: Path, x: dict, last_layer, atol: float = 1e-5) -> None:
    """run_classifier's model from `folder` (its last layer computes the first token only)
    gives the original code's last-layer vector at the first token."""
    from clue_tf.checkpoints.folders import load, locate
    from clue_tf.models.backbones import find_encoder

    loaded = load(locate(str(folder)), heads=("classifier",), num_labels=3, first_token_only=True)
    sequence = np.asarray(find_encoder(loaded.model)(x)["sequence_output"])
    assert sequence.shape[1] == 1, "the last layer computed every token"
    np.testing.assert_allclose(sequence[:, 0], np.asarray(last_layer)[:, 0], atol=atol)
