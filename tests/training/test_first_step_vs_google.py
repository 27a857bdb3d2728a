"""The first step of fine-tuning and pretraining against Google's own code: for the same
bundle and batch (dropout off), run_classifier.create_model's loss and every gradient, and
run_pretraining's masked-LM and next-sentence losses."""

import tempfile
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.training.objectives import objective_for
from tests.checkpoints.google_models import CONFIGS, google_bundle, google_model_outputs
from tests.helpers import finish_oracle, start_oracle

LABELS = np.array([0, 2, 1], np.int32)


def test_classifier_loss_and_gradients_equal_google_create_model(tmp_path):
    bundle, _, inputs = google_bundle(tmp_path / "google", CONFIGS["h312_heads12"])
    loaded = load(locate(str(bundle)), heads=("classifier",), num_labels=3)
    write(str(tmp_path / "cls"), loaded.model, loaded.family, loaded.config, loaded.vocab_file)  # head included
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp, "in.npz"), labels=LABELS, **inputs)
        finish_oracle(start_oracle("google_bert.py", "classifier_step", str(bundle / "bert_config.json"),
                                   str(Path(tmp, "in.npz")), str(tmp_path / "cls" / "bert_model.ckpt"),
                                   str(Path(tmp, "out.npz")), "3", env={"TF_USE_LEGACY_KERAS": "1"}))
        theirs = dict(np.load(Path(tmp, "out.npz")))
    x = {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"], "padding_mask": inputs["input_mask"]}
    run_classifiers = load(locate(str(tmp_path / "cls")), heads=("classifier",), first_token_only=True)
    for model in (loaded.model, run_classifiers.model):  # the whole last layer; the first token's alone
        assert_step_equal(model, loaded, x, theirs)


def assert_step_equal(model, loaded, x: dict, theirs: dict) -> None:
    with tf.GradientTape() as tape:
        logits = model(x, training=False)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, logits)  # run_classifier's
    gradients = tape.gradient(loss, model.trainable_variables)
    by_path = {v.path: tf.convert_to_tensor(g).numpy() for v, g in zip(model.trainable_variables, gradients)}
    np.testing.assert_allclose(float(loss), theirs["loss"], atol=1e-5)
    np.testing.assert_allclose(np.asarray(logits), theirs["logits"], atol=1e-5)
    compared = set()
    weights = {w.path: w for w in model.weights}
    for row in loaded.family.rows(loaded.config, "google"):
        variable = row.variable(model, weights)
        if variable is None or f"grad/{row.name}" not in theirs:
            continue
        ours = row.layout.to_external(by_path[variable.path])
        np.testing.assert_allclose(ours, theirs[f"grad/{row.name}"], atol=1e-5, err_msg=f"{model.name}: {row.name}")
        compared.add(row.name)
    assert compared == {k[len("grad/"):] for k in theirs if k.startswith("grad/")}


def test_pretraining_losses_equal_google_run_pretraining(tmp_path):
    config = CONFIGS["tiny_type2"]
    bundle, _, inputs = google_bundle(tmp_path / "google", config)
    rng = np.random.default_rng(3)
    batch, slots = inputs["masked_lm_positions"].shape
    inputs = dict(inputs, masked_lm_ids=rng.integers(0, config["vocab_size"], (batch, slots)).astype(np.int32),
                  masked_lm_weights=np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], np.float32),
                  next_sentence_labels=np.array([0, 1, 1], np.int32))
    theirs = google_model_outputs(tmp_path / "rerun", config, inputs, str(bundle / "bert_model.ckpt"))
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    objective = objective_for(loaded.family, SimpleNamespace(nsp=True, sentence_order=False), loaded.config,
                              loaded.vocab)
    features = {"input_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"],
                "input_mask": inputs["input_mask"], "masked_lm_positions": inputs["masked_lm_positions"],
                "masked_lm_ids": inputs["masked_lm_ids"], "masked_lm_weights": inputs["masked_lm_weights"],
                "next_sentence_labels": inputs["next_sentence_labels"][:, None]}
    losses = objective.losses(loaded.model, features, batch, tf.reduce_sum(inputs["masked_lm_weights"]), False)
    np.testing.assert_allclose(float(losses["masked_lm_loss"]), theirs["masked_lm_loss"], atol=1e-5)
    np.testing.assert_allclose(float(losses["next_sentence_loss"]), theirs["next_sentence_loss"], atol=1e-5)
