"""Strict both ways: a checkpoint that does not fit its config is an error, conversion never
invents a head, round trips between formats are exact, and a keras-hub preset we write
loads in plain keras-hub."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints import formats
from clue_tf.checkpoints.folders import load, locate, write
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError
from tests.checkpoints.google_models import CONFIGS, google_bundle


@pytest.fixture(scope="module")
def google(tmp_path_factory):
    """A 2-layer bundle with MLM and NSP heads, written by Google's modeling.py."""
    return google_bundle(tmp_path_factory.mktemp("google"), CONFIGS["tiny_type2"])


def test_checkpoint_with_more_layers_than_its_config_is_an_error_naming_the_unused_weights(google, tmp_path):
    bundle, _, _ = google
    short = tmp_path / "short"
    short.mkdir()
    for path in bundle.iterdir():
        (short / path.name).symlink_to(path)
    (short / "bert_config.json").unlink()
    config = json.loads((bundle / "bert_config.json").read_text())
    (short / "bert_config.json").write_text(json.dumps(dict(config, num_hidden_layers=1)))
    with pytest.raises(CheckpointError, match=r"weights that a 1-layer bert model does not have: "
                                              r"bert/encoder/layer_1/"):
        load(locate(str(short)))
    (tmp_path / "in.txt").write_text("tok1 tok2\n", encoding="utf-8")
    args = [f"--bundle_dir={short}", f"--input_file={tmp_path / 'in.txt'}", f"--output_file={tmp_path / 'f.jsonl'}",
            "--layers=-1", "--max_seq_length=16"]
    assert run_command("extract_features", args) == 1
    assert not (tmp_path / "f.jsonl").exists()
    assert run_command("extract_features", args + ["--allow_unused_weights"]) == 0  # knowingly


def test_converting_a_headless_bundle_writes_no_head_and_fill_mask_still_refuses(google, tmp_path):
    bundle, _, _ = google
    encoder_only = load(locate(str(bundle)))  # as CLUE releases are: no cls/* variables
    write(str(tmp_path / "release"), encoder_only.model, encoder_only.family, encoder_only.config,
          encoder_only.vocab_file)
    for fmt in ("bundle", "hf"):
        assert run_command("convert", [f"--bundle_dir={tmp_path / 'release'}", f"--output_dir={tmp_path / fmt}",
                                       f"--output_format={fmt}"]) == 0
        assert run_command("fill_mask", [f"--bundle_dir={tmp_path / fmt}", "--text=tok1 [MASK]"]) == 1
    names = tf.train.load_checkpoint(str(tmp_path / "bundle" / "bert_model.ckpt")).get_variable_to_shape_map()
    assert not [n for n in names if n.startswith("cls/")]
    from safetensors.numpy import load_file

    assert not [n for n in load_file(str(tmp_path / "hf" / "model.safetensors")) if n.startswith("cls.")]
    loaded = load(locate(str(tmp_path / "bundle")), heads=("masked_lm",))
    from clue_tf.inference.fill_mask import fill_mask

    with pytest.raises(CheckpointError, match="has no masked_lm head, so it cannot fill masks"):
        fill_mask(loaded, "tok1 [MASK]")


@pytest.mark.parametrize("middle", ["hf", "uer"])
def test_bundle_to_other_format_and_back_is_bit_identical(google, tmp_path, middle):
    bundle, _, _ = google
    if middle == "uer":
        pytest.importorskip("torch", reason="UER checkpoints are torch files (torch extra)")
    assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={tmp_path / middle}",
                                   f"--output_format={middle}"]) == 0
    assert run_command("convert", [f"--bundle_dir={tmp_path / middle}", f"--output_dir={tmp_path / 'back'}"]) == 0
    theirs = tf.train.load_checkpoint(str(bundle / "bert_model.ckpt"))
    ours = tf.train.load_checkpoint(str(tmp_path / "back" / "bert_model.ckpt"))
    names = [n for n in theirs.get_variable_to_shape_map()]
    assert sorted(ours.get_variable_to_shape_map()) == sorted(names)
    for name in names:
        assert np.array_equal(ours.get_tensor(name), theirs.get_tensor(name)), name
    assert json.loads((tmp_path / "back" / "bert_config.json").read_text())["hidden_act"] == "gelu"


def test_convert_refuses_to_replace_the_source_folder(google):
    bundle, _, _ = google
    assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={bundle}"]) == 1
    assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={bundle.parent}"]) == 1
    assert (bundle / "bert_model.ckpt.index").exists()


@pytest.mark.parametrize("output_format", ["bundle", "hf", "keras_hub", "keras"])
def test_convert_never_replaces_a_folder_holding_other_files(google, tmp_path, capsys, output_format):
    bundle, _, _ = google
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    args = [f"--bundle_dir={bundle}", f"--output_format={output_format}"]
    assert run_command("convert", args + [f"--output_dir={work}"]) == 1
    assert "holds files that are not a model's (notes.txt)" in capsys.readouterr().err
    assert [p.name for p in work.iterdir()] == ["notes.txt"]
    assert run_command("convert", args + [f"--output_dir={work / 'model'}"]) == 0
    assert run_command("convert", args + [f"--output_dir={work / 'model'}"]) == 0  # a model folder: replaced
    assert sorted(p.name for p in work.iterdir()) == ["model", "notes.txt"]


_PLAIN_KERAS_HUB = r"""
import sys, json
sys.modules["clue_tf"] = None  # any import of clue_tf fails
import numpy as np, keras_hub
preset, out = sys.argv[1], sys.argv[2]
backbone = keras_hub.models.Backbone.from_preset(preset)
tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
mlm = keras_hub.models.BertMaskedLM.from_preset(preset)
ids = np.array([[2, 9, 10, 4, 12, 3]], np.int32)
x = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}
logits = np.asarray(mlm({**x, "mask_positions": np.array([[3]], np.int32)}))  # no preprocessor
np.savez(out, sequence=backbone(x)["sequence_output"], pooled=backbone(x)["pooled_output"],
         logits=logits, token_ids=np.asarray(tokenizer("tok4 tok5 tok7")),
         mlm_kernel=mlm.get_layer("mlm_head").weights[0].numpy())
"""


def test_keras_hub_preset_loads_whole_in_plain_keras_hub(google, tmp_path):
    bundle, _, _ = google
    assert run_command("convert", [f"--bundle_dir={bundle}", f"--output_dir={tmp_path / 'preset'}",
                                   "--output_format=keras_hub"]) == 0
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", _PLAIN_KERAS_HUB, str(tmp_path / "preset"), str(tmp_path / "o.npz")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = np.load(tmp_path / "o.npz")
    loaded = load(locate(str(bundle)), heads=("masked_lm",))
    ids = np.array([[2, 9, 10, 4, 12, 3]], np.int32)
    ours = loaded.model({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids),
                         "masked_lm_positions": np.array([[3]], np.int32)})
    encoder = loaded.model.get_layer("bert_encoder")({"token_ids": ids, "segment_ids": np.zeros_like(ids),
                                                      "padding_mask": np.ones_like(ids)})
    np.testing.assert_allclose(theirs["sequence"], np.asarray(encoder["sequence_output"]), atol=1e-5)
    np.testing.assert_allclose(theirs["pooled"], np.asarray(encoder["pooled_output"]), atol=1e-5)
    # Same MLM weights; keras-hub's BertMaskedLM head computes exact GELU and LayerNorm eps
    # 1e-5 where Google's uses tanh GELU and 1e-12, so its logits differ slightly.
    np.testing.assert_array_equal(theirs["mlm_kernel"],
                                  loaded.model.get_layer("masked_lm_head").weights[0].numpy())
    mine = np.asarray(ours["masked_lm_logits"])[0, 0]
    np.testing.assert_allclose(theirs["logits"][0, 0], mine, atol=5e-3)
    assert theirs["logits"][0, 0].argmax() == mine.argmax()
    assert theirs["token_ids"].tolist() == [9, 10, 12]
    # Reading the preset back gives the same model.
    again = load(locate(str(tmp_path / "preset")), heads=("masked_lm",), require=("masked_lm",))
    np.testing.assert_array_equal(np.asarray(again.model({"token_ids": ids, "segment_ids": np.zeros_like(ids),
                                                          "padding_mask": np.ones_like(ids),
                                                          "masked_lm_positions": np.array([[3]], np.int32)})
                                             ["masked_lm_logits"]), np.asarray(ours["masked_lm_logits"]))


def test_every_command_takes_an_unzipped_release_folder(google, tmp_path):
    """The files one folder down, as CLUE's zips unpack: tokenize and run_pretraining too."""
    import shutil

    bundle, _, _ = google
    release = tmp_path / "release"
    shutil.copytree(bundle, release / "RoBERTa-tiny-clue")
    (tmp_path / "in.txt").write_text("tok1 tok2\n", encoding="utf-8")
    assert run_command("tokenize", [f"--bundle_dir={release}", f"--input_file={tmp_path / 'in.txt'}",
                                    f"--output_file={tmp_path / 'tokens.txt'}"]) == 0
    assert (tmp_path / "tokens.txt").read_text(encoding="utf-8") == "tok1 tok2\n"
    from clue_tf.cli import run_pretraining
    from clue_tf.cli.common_flags import locate_model

    fv = run_pretraining.FLAGS
    fv.unparse_flags()
    fv(["prog", f"--bundle_dir={release}", "--input_file=x", "--output_dir=y"])
    assert locate_model(fv, need_weights=False).weights == str(release / "RoBERTa-tiny-clue" / "bert_model.ckpt")
    fv.unparse_flags()


def test_run_pretraining_that_cannot_start_leaves_no_output_dir(tmp_path):
    (tmp_path / "bert_config.json").write_text(json.dumps({"vocab_size": 10, "hidden_size": "32"}))
    assert run_command("run_pretraining", [f"--bert_config_file={tmp_path / 'bert_config.json'}",
                                           f"--input_file={tmp_path / 'none.tfrecord'}",
                                           f"--output_dir={tmp_path / 'out'}", "--do_train=true"]) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("output_format", ["keras_hub", "keras"])
def test_an_interrupted_preset_write_leaves_the_earlier_preset_whole(google, tmp_path, monkeypatch, output_format):
    """The writer is stopped midway by a hook (as a kill would) after writing half a folder."""
    bundle, _, _ = google
    preset = tmp_path / "preset"
    args = [f"--bundle_dir={bundle}", f"--output_format={output_format}", f"--output_dir={preset}"]
    assert run_command("convert", args) == 0
    before = {p.relative_to(preset): p.read_bytes() for p in preset.rglob("*") if p.is_file()}

    def half_then_interrupt(out_dir, *args, **kwargs):
        (Path(out_dir) / "config.json").write_text('{"half": "new"}')
        raise KeyboardInterrupt

    for name in ("keras", "keras_hub"):  # the writers of checkpoints/formats.py
        monkeypatch.setitem(formats.FORMATS, name, dataclasses.replace(
            formats.FORMATS[name], write=lambda out_dir, *a, **k: half_then_interrupt(out_dir)))
    assert run_command("convert", args) == 130
    after = {p.relative_to(preset): p.read_bytes() for p in preset.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["preset"]
