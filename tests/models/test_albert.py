"""ALBERT in both published layouts against independent implementations.

Google's layout: Google's own modeling.py (albert-tensorflow 1.1, subprocess). brightmart's
layout: a float64 NumPy forward pass written from the reference facts (tests/models/
albert_models.py). HF's AlbertForMaskedLM (PyTorch) loads our HF export.
"""

import json

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints.folders import load, locate, write_loaded
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError
from tests.models import albert_models as am

HEADS = ("masked_lm", "next_sentence")


def our_outputs(loaded, inputs) -> dict:
    x = {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"], "padding_mask": inputs["input_mask"]}
    out = loaded.model({**x, "masked_lm_positions": inputs["masked_lm_positions"]})
    encoder = loaded.model.get_layer("albert_encoder")(x)
    mlm = np.asarray(out["masked_lm_logits"])
    return {"encoder_outputs": np.stack([np.asarray(t) for t in encoder["encoder_outputs"]]),
            "pooled_output": np.asarray(encoder["pooled_output"]),
            "masked_lm_log_probs": np.asarray(tf.nn.log_softmax(mlm.reshape(-1, mlm.shape[-1]))),
            "next_sentence_log_probs": np.asarray(tf.nn.log_softmax(out["next_sentence_logits"]))}


def assert_match(ours: dict, theirs: dict, mask: np.ndarray, atol: float = 1e-5) -> None:
    real = mask.astype(bool)  # Google masks keys only: padded query rows are unspecified
    np.testing.assert_allclose(ours["encoder_outputs"][:, real], theirs["encoder_outputs"][:, real], atol=atol)
    for key in ("pooled_output", "masked_lm_log_probs", "next_sentence_log_probs"):
        np.testing.assert_allclose(ours[key], theirs[key], atol=atol, rtol=0, err_msg=key)


@pytest.fixture(scope="module", params=sorted(am.GOOGLE_CONFIGS))
def google(request, tmp_path_factory):
    return (request.param,) + am.google_albert_bundle(tmp_path_factory.mktemp(request.param),
                                                      am.GOOGLE_CONFIGS[request.param])


def test_google_layout_matches_google_modeling_py(google):
    name, bundle, outputs, inputs = google
    loaded = load(locate(str(bundle)), heads=HEADS)
    assert loaded.family.name == "albert" and loaded.weight_dialect == "google"
    assert loaded.report.left_initial == []
    config = am.GOOGLE_CONFIGS[name]
    assert outputs["encoder_outputs"].shape[0] == config["num_hidden_layers"] * config["inner_group_num"]
    assert_match(our_outputs(loaded, inputs), outputs, inputs["input_mask"])


def test_classifier_last_block_for_the_first_token_matches_google(google):
    """run_classifier's model: the shared block's last application computes the first token only,
    earlier applications of the same block every token."""
    name, bundle, outputs, inputs = google
    loaded = load(locate(str(bundle)), heads=("classifier",), num_labels=3, first_token_only=True)
    x = {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"], "padding_mask": inputs["input_mask"]}
    encoder = loaded.model.get_layer("albert_encoder")(x)
    layers = [np.asarray(t) for t in encoder["encoder_outputs"]]
    assert layers[-1].shape[1] == 1 and all(t.shape[1] == inputs["input_ids"].shape[1] for t in layers[:-1])
    np.testing.assert_allclose(layers[-1][:, 0], outputs["encoder_outputs"][-1][:, 0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(encoder["pooled_output"]), outputs["pooled_output"], atol=1e-5)


def test_bundle_we_write_restores_in_googles_saver_with_the_same_outputs(google, tmp_path):
    name, bundle, outputs, inputs = google
    loaded = load(locate(str(bundle)), heads=HEADS)
    write_loaded(str(tmp_path / "ours"), loaded, "bundle")
    assert json.loads((tmp_path / "ours" / "albert_config.json").read_text())["hidden_act"] == \
        am.GOOGLE_CONFIGS[name]["hidden_act"]
    restored = am.google_albert_outputs(tmp_path / "restored", am.GOOGLE_CONFIGS[name], inputs,
                                        checkpoint=str(tmp_path / "ours" / "albert_model.ckpt"))
    assert sorted(restored["variables"]) == sorted(outputs["variables"])
    assert_match(our_outputs(loaded, inputs), restored, inputs["input_mask"])


@pytest.mark.parametrize("preln", [False, True])
def test_brightmart_layout_matches_an_independent_numpy_forward_pass(tmp_path, preln):
    config = dict(am.BRIGHTMART_CONFIG, ln_type="preln" if preln else "postln")
    weights = am.brightmart_checkpoint(tmp_path / "tiny", config)
    inputs = am.random_inputs(config["vocab_size"])
    loaded = load(locate(str(tmp_path / "tiny")), heads=HEADS)
    assert loaded.weight_dialect == "brightmart" and loaded.config.layout == "brightmart"
    expected = am.brightmart_reference(weights, config, inputs, preln=preln)
    assert_match(our_outputs(loaded, inputs), expected, inputs["input_mask"], atol=2e-5)
    classifier = load(locate(str(tmp_path / "tiny")), heads=("classifier",), num_labels=3, first_token_only=True)
    x = {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"], "padding_mask": inputs["input_mask"]}
    last = np.asarray(classifier.model.get_layer("albert_encoder")(x)["sequence_output"])
    assert last.shape[1] == 1  # the first-token last application, pre- or post-LN
    np.testing.assert_allclose(last[:, 0], expected["encoder_outputs"][-1][:, 0], atol=2e-5)
    # written back in brightmart's own names, bit for bit
    write_loaded(str(tmp_path / "back"), loaded, "bundle")
    back = tf.train.load_checkpoint(str(tmp_path / "back" / "albert_model.ckpt"))
    for name, value in weights.items():
        if name.endswith("/adam_m") or name == "global_step":
            continue
        assert np.array_equal(back.get_tensor(name), value), name


def test_hf_albert_for_masked_lm_loads_our_export_with_equal_logits(google, tmp_path):
    name, bundle, _, inputs = google
    if am.GOOGLE_CONFIGS[name]["embedding_size"] == am.GOOGLE_CONFIGS[name]["hidden_size"]:
        assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={tmp_path / 'hf'}",
                                       "--output_format=hf"]) == 1  # HF always projects E -> H
        return
    torch = pytest.importorskip("torch", reason="needs torch (test extra)")
    transformers = pytest.importorskip("transformers", reason="needs transformers (test extra)")
    assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={tmp_path / 'hf'}",
                                   "--output_format=hf"]) == 0
    hf = transformers.AlbertForMaskedLM.from_pretrained(str(tmp_path / "hf"), attn_implementation="eager").eval()
    loaded = load(locate(str(bundle)), heads=("masked_lm",))
    ids, segs, mask = inputs["input_ids"], inputs["segment_ids"], inputs["input_mask"]
    with torch.no_grad():
        theirs = hf(input_ids=torch.tensor(ids).long(), token_type_ids=torch.tensor(segs).long(),
                    attention_mask=torch.tensor(mask).long()).logits.numpy()
    length = ids.shape[1]
    positions = np.tile(np.arange(length, dtype=np.int32), (ids.shape[0], 1))
    ours = np.asarray(loaded.model({"token_ids": ids, "segment_ids": segs, "padding_mask": mask,
                                    "masked_lm_positions": positions})["masked_lm_logits"])
    real = mask.astype(bool)
    np.testing.assert_allclose(ours[real], theirs[real], atol=1e-4)


def test_albert_and_bert_checkpoints_under_each_others_config_name_the_family(google, tmp_path):
    _, bundle, _, _ = google
    bert_config = {"vocab_size": 60, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
                   "intermediate_size": 48}
    (tmp_path / "bert_config.json").write_text(json.dumps(bert_config))
    files = locate(weights=str(bundle / "model.ckpt-best"), config_file=str(tmp_path / "bert_config.json"),
                   vocab_file=str(bundle / "vocab_chinese.txt"))
    with pytest.raises(CheckpointError, match="holds albert weights, but the config describes a bert model"):
        load(files)
    from tests.checkpoints.google_models import CONFIGS, google_bundle

    bert_bundle, _, _ = google_bundle(tmp_path / "bert", CONFIGS["tiny_type2"])
    files = locate(weights=str(bert_bundle / "bert_model.ckpt"), config_file=str(bundle / "albert_config.json"),
                   vocab_file=str(bert_bundle / "vocab.txt"))
    with pytest.raises(CheckpointError, match="holds bert weights, but the config describes a albert model"):
        load(files)


def test_commands_take_an_albert_folder(google, tmp_path, capsys):
    _, bundle, _, _ = google
    (tmp_path / "in.txt").write_text("tok1 tok2 tok3\n", encoding="utf-8")
    assert run_command("extract_features", [f"--bundle_dir={bundle}", f"--input_file={tmp_path / 'in.txt'}",
                                            f"--output_file={tmp_path / 'f.jsonl'}", "--layers=-1",
                                            "--max_seq_length=16"]) == 0
    capsys.readouterr()
    assert run_command("fill_mask", [f"--bundle_dir={bundle}", "--text=tok1 [MASK] tok3", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 1 and len(results[0]) == 5


def test_albert_pretrains_with_sentence_order_and_the_export_restores_in_googles_code(tmp_path):
    from tests.helpers import shared_path

    corpus = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt")
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    assert run_command("create_pretraining_data", [
        f"--input_file={corpus}", f"--output_file={tmp_path / 'sop.tfrecord'}", f"--vocab_file={vocab}",
        "--sentence_order=true", "--ngram=3", "--max_seq_length=64", "--max_predictions_per_seq=10",
        "--dupe_factor=1"]) == 0
    config = dict(am.GOOGLE_CONFIGS["zh_relu"], vocab_size=21128, max_position_embeddings=64,
                  initializer_range=0.02)
    (tmp_path / "albert_config.json").write_text(json.dumps(config))
    assert run_command("run_pretraining", [
        f"--input_file={tmp_path / 'sop.tfrecord'}", f"--output_dir={tmp_path / 'out'}",
        f"--bert_config_file={tmp_path / 'albert_config.json'}", f"--vocab_file={vocab}", "--do_train=true",
        "--sentence_order=true", "--max_seq_length=64", "--max_predictions_per_seq=10", "--train_batch_size=8",
        "--num_train_steps=6", "--num_warmup_steps=2", "--learning_rate=1e-3", "--save_checkpoints_steps=6"]) == 0
    bundle = tmp_path / "out" / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "albert_config.json", "albert_model.ckpt.data-00000-of-00001", "albert_model.ckpt.index", "vocab.txt"]
    loaded = load(locate(str(bundle)), heads=HEADS, require=HEADS)
    inputs = am.random_inputs(21128)
    restored = am.google_albert_outputs(tmp_path / "google", config, inputs,
                                        checkpoint=str(bundle / "albert_model.ckpt"))
    assert_match(our_outputs(loaded, inputs), restored, inputs["input_mask"])


_PLAIN_KERAS_HUB = r"""
import sys
sys.modules["clue_tf"] = None  # any import of clue_tf fails
import numpy as np, keras_hub
preset, out = sys.argv[1], sys.argv[2]
backbone = keras_hub.models.AlbertBackbone.from_preset(preset)
tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
inputs = dict(np.load(preset + "/../inputs.npz"))
x = {"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"], "padding_mask": inputs["input_mask"]}
y = backbone(x)
np.savez(out, sequence=y["sequence_output"], pooled=y["pooled_output"], ids=np.asarray(tokenizer("tok1 tok7")))
"""


def test_keras_hub_albert_preset_where_the_layout_allows(google, tmp_path):
    import os
    import subprocess
    import sys

    name, bundle, outputs, inputs = google
    args = [f"--bundle_dir={bundle}", f"--output_dir={tmp_path / 'preset'}", "--output_format=keras_hub"]
    if name != "groups_gelu":  # Google's Chinese ALBERTs are relu; keras-hub's is tanh GELU only
        assert run_command("convert", args) == 1
        return
    assert run_command("convert", args) == 0
    np.savez(tmp_path / "inputs.npz", **inputs)
    done = subprocess.run([sys.executable, "-c", _PLAIN_KERAS_HUB, str(tmp_path / "preset"), str(tmp_path / "o.npz")],
                          capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = np.load(tmp_path / "o.npz")
    real = inputs["input_mask"].astype(bool)
    np.testing.assert_allclose(theirs["sequence"][real], outputs["encoder_outputs"][-1][real], atol=1e-5)
    np.testing.assert_allclose(theirs["pooled"], outputs["pooled_output"], atol=1e-5)
    assert theirs["ids"].tolist() == [6, 12]
    again = load(locate(str(tmp_path / "preset")))
    assert again.family.name == "albert" and again.config.num_hidden_groups == 2


# Backbone + pooler parameters computed from the published shapes in shared/reference/albert_zh.md §5.3.
REFERENCE_COUNTS = {
    "google/albert_base_zh": 10_547_968, "google/albert_large_zh": 16_548_352,
    "google/albert_xlarge_zh": 57_589_248, "google/albert_xxlarge_zh": 221_459_968,
    "brightmart/albert_tiny_google_zh": 4_080_520, "brightmart/albert_small_google_zh": 4_742_272,
    "brightmart/albert_tiny_489k": 4_175_152, "brightmart/albert_base_zh": 10_877_440,
    "brightmart/albert_large_zh": 17_009_664, "brightmart/albert_xlarge_zh_177k": 58_577_920,
}


def test_registry_albert_entries_have_the_published_shapes_parameter_counts():
    from clue_tf.checkpoints.registry import load_registry

    registry = load_registry()
    for name, count in REFERENCE_COUNTS.items():
        assert registry[name].family.name == "albert" and registry[name].num_parameters == count, name
    for name in ("brightmart/albert_tiny_489k", "brightmart/albert_tiny_google_zh"):
        entry = registry[name]
        assert entry.family.build(entry.config).count_params() == entry.num_parameters
    assert registry["google/albert_base_zh"].config.hidden_act == "relu"
    assert registry["brightmart/albert_tiny_489k"].config.layout == "brightmart"


def test_baseline_table_knows_albert_tiny_and_its_size_class(tmp_path):
    from clue_tf.checkpoints.registry import load_registry
    from clue_tf.tasks.baselines import published_scores, size_class

    name, scores = published_scores("/models/albert_tiny_489k")
    assert name == "brightmart/albert_tiny_489k"
    assert scores == {"afqmc": 69.92, "tnews": 53.35, "iflytek": 48.71, "cmnli": 70.61}
    registry = load_registry()
    assert size_class(registry["brightmart/albert_tiny_489k"].config) == "tiny"
    assert size_class(registry["google/albert_base_zh"].config) == "base"
