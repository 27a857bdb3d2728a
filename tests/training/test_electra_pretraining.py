"""ELECTRA's replaced-token-detection pretraining (Google's run_pretraining.py): the corruption,
the loss against a NumPy transcription of Google's formula, and run_pretraining end to end."""

import json
from types import SimpleNamespace

import keras
import numpy as np
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate
from clue_tf.cli import run_command
from clue_tf.models.electra.config import ElectraConfig
from clue_tf.models.electra.family import ELECTRA
from clue_tf.training import objectives
from tests.helpers import PROJECT_ROOT, perturbed

SAMPLE = PROJECT_ROOT / "sample"


def test_samples_go_exactly_to_the_weighted_positions():
    ids = np.array([[2, 4, 4, 9, 3, 0]], "int32")
    positions = np.array([[1, 2, 0]], "int32")  # the third is padding (weight 0): [CLS] stays
    weights = np.array([[1.0, 1.0, 0.0]], "float32")
    written = objectives.scatter_at_positions(ids, positions, weights, np.array([[7, 8, 5]], "int32"))
    np.testing.assert_array_equal(np.asarray(written), [[2, 7, 8, 9, 3, 0]])


def sigmoid_cross_entropy(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def test_loss_is_googles_generator_loss_plus_50_times_the_discriminators(monkeypatch):
    """With the sampler fixed to argmax, every term is computable from the two heads' outputs."""
    monkeypatch.setattr(objectives, "gumbel_sample", lambda logits, _: tf.argmax(logits, -1, output_type=tf.int32))
    config = ElectraConfig(vocab_size=60, embedding_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=32, max_position_embeddings=16, generator_hidden_size=8,
                           generator_num_hidden_layers=1, generator_intermediate_size=16, hidden_dropout_prob=0.0,
                           attention_probs_dropout_prob=0.0)
    keras.utils.set_random_seed(0)
    settings = SimpleNamespace(nsp=False, seed=1, max_seq_length=8, max_predictions_per_seq=3, dynamic_masking=False)
    objective = objectives.ReplacedTokenObjective(settings, ELECTRA, config, None)
    model = perturbed(objective.build_model(), 0.5)
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 60, (2, 8)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    ids[1, 6:] = 0
    positions = np.array([[1, 3, 5], [2, 4, 0]], "int32")
    weights = np.array([[1, 1, 1], [1, 1, 0]], "float32")
    original = np.array([[11, 12, 13], [14, 15, 0]], "int32")
    features = {"input_ids": ids, "segment_ids": np.zeros_like(ids), "input_mask": mask,
                "masked_lm_positions": positions, "masked_lm_ids": original, "masked_lm_weights": weights}
    global_weight = objective.prediction_weight(features)
    out = {k: float(v) for k, v in objective.losses(model, features, 2, global_weight, False).items()}

    logits = np.asarray(objective.generator({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask,
                                             "masked_lm_positions": positions}), np.float64)
    log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    picked = np.take_along_axis(log_probs, original[..., None], -1)[..., 0]
    mlm = -(picked * weights).sum() / (weights.sum() + 1e-6)
    unmasked, corrupted = ids.copy(), ids.copy()
    for b in range(2):
        for p in range(3):
            if weights[b, p]:
                unmasked[b, positions[b, p]] = original[b, p]
                corrupted[b, positions[b, p]] = logits[b, p].argmax()
    labels = (corrupted != unmasked).astype(np.float64)
    disc = np.asarray(objective.discriminator({"token_ids": corrupted, "segment_ids": np.zeros_like(ids),
                                               "padding_mask": mask}), np.float64)
    disc_loss = (sigmoid_cross_entropy(labels, disc) * mask).sum() / (mask.sum() + 1e-6)
    assert labels.sum() > 0  # some tokens were replaced
    np.testing.assert_allclose(out["masked_lm_loss"], mlm, rtol=1e-5)
    np.testing.assert_allclose(out["replaced_token_loss"], disc_loss, rtol=1e-5)
    np.testing.assert_allclose(out["loss"], mlm + 50 * disc_loss, rtol=1e-5)


def test_run_pretraining_trains_electra_and_exports_generator_and_discriminator(tmp_path):
    records = tmp_path / "sample.tfrecord"
    assert run_command("create_pretraining_data", [
        f"--input_file={SAMPLE / 'sample_zh.txt'}", f"--output_file={records}", f"--vocab_file={SAMPLE / 'vocab.txt'}",
        "--max_seq_length=64", "--max_predictions_per_seq=10", "--dupe_factor=1"]) == 0
    config = {**json.loads((SAMPLE / "bert_config.json").read_text()), "embedding_size": 64, "model_family": "electra"}
    (tmp_path / "electra_config.json").write_text(json.dumps(config))
    out = tmp_path / "run"
    assert run_command("run_pretraining", [
        f"--input_file={records}", f"--output_dir={out}", f"--bert_config_file={tmp_path / 'electra_config.json'}",
        f"--vocab_file={SAMPLE / 'vocab.txt'}", "--do_train=true", "--do_eval=true", "--max_seq_length=64",
        "--max_predictions_per_seq=10", "--train_batch_size=8", "--eval_batch_size=8", "--num_train_steps=6",
        "--num_warmup_steps=1", "--save_checkpoints_steps=3", "--learning_rate=5e-4"]) == 0
    results = dict(line.split(" = ") for line in (out / "eval_results.txt").read_text().splitlines())
    assert {"masked_lm_loss", "replaced_token_loss", "replaced_token_accuracy"} <= set(results)
    loaded = load(locate(str(out / "bundle")), heads="present")
    assert loaded.family is ELECTRA and loaded.report.left_initial == []
    assert ELECTRA.heads_in(loaded.report.loaded, loaded.config, "google") == ("masked_lm", "replaced_token")
    assert loaded.config.generator_hidden_size == 32 and loaded.config.generator_num_hidden_layers == 2
