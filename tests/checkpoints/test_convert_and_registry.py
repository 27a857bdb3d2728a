"""Conversions (bundle <-> .keras, keras-hub preset, registry init) and the model registry."""

import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints import convert
from clue_tf.checkpoints.folders import load, locate
from clue_tf.checkpoints.registry import load_registry
from clue_tf.cli import run_command
from clue_tf.errors import VocabError
from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.bert.family import BERT
from tests.checkpoints.google_models import CONFIGS, google_bundle

MIB = 1024 * 1024


def test_registry_holds_the_clue_google_and_24_uer_models():
    registry = load_registry()
    for name in ("roberta-tiny-clue", "roberta-tiny-pair", "roberta-tiny3L312-clue",
                 "roberta-tiny3L768-clue", "roberta-large-clue", "roberta-large-pair",
                 "chinese_L-12_H-768_A-12"):
        assert name in registry
    uer = [e for n, e in registry.items() if n.startswith("uer/") and e.family.name == "bert"]
    assert len(uer) == 24
    for entry in uer:
        c = entry.config
        assert c.num_attention_heads == c.hidden_size // 64 and c.intermediate_size == 4 * c.hidden_size
        assert c.vocab_size == 21128


@pytest.mark.parametrize("name", ["roberta-tiny-clue", "uer/chinese_roberta_L-2_H-128"])
def test_parameter_formula_matches_the_keras_model(name):
    config = load_registry()[name].config
    assert BertEncoder.from_bert_config(config).count_params() == BERT.count_parameters(config)


def test_parameter_counts_agree_with_published_checkpoint_sizes():
    """float32 checkpoints: 4 bytes a parameter, within 12% of the published file size
    (the published "params" column is rounder: e.g. 38M for a 110 MB 3L768 file)."""
    units = {"M": MIB, "G": 1024 * MIB}
    for name, entry in load_registry().items():
        size = entry.published.get("file_size")
        if not size:
            continue
        published = float(size[:-1]) * units[size[-1]]
        assert abs(4 * entry.num_parameters - published) / published < 0.12, name
    assert round(BERT.count_parameters(load_registry()["roberta-tiny-clue"].config) / 1e6, 1) == 7.4


def test_bundle_to_keras_and_back_is_bit_identical(tmp_path):
    bundle, _, _ = google_bundle(tmp_path / "google", CONFIGS["type16_relu"])
    files = locate(str(bundle))
    convert.convert_model(files, str(tmp_path / "keras"), "keras")
    convert.keras_to_format(str(tmp_path / "keras" / "model.keras"), files.vocab_file, str(tmp_path / "back"))
    theirs = tf.train.load_checkpoint(str(bundle / "bert_model.ckpt"))
    ours = tf.train.load_checkpoint(str(tmp_path / "back" / "bert_model.ckpt"))
    names = [n for n in theirs.get_variable_to_shape_map() if n.startswith("bert/")]
    assert sorted(ours.get_variable_to_shape_map()) == sorted(names)
    for name in names:
        assert np.array_equal(ours.get_tensor(name), theirs.get_tensor(name)), name


def test_keras_hub_bert_backbone_from_our_preset_matches_google(tmp_path):
    """keras-hub's own BertBackbone as a second witness of the loaded weights."""
    import keras_hub

    bundle, google, inputs = google_bundle(tmp_path / "google", CONFIGS["h312_heads12"])
    convert.convert_model(locate(str(bundle)), str(tmp_path / "preset"), "keras_hub")
    backbone = keras_hub.models.BertBackbone.from_preset(str(tmp_path / "preset"))
    out = backbone({"token_ids": inputs["input_ids"], "segment_ids": inputs["segment_ids"],
                    "padding_mask": inputs["input_mask"]})
    np.testing.assert_allclose(np.asarray(out["sequence_output"]), google["encoder_outputs"][-1], atol=1e-5)
    np.testing.assert_allclose(np.asarray(out["pooled_output"]), google["pooled_output"], atol=1e-5)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(str(tmp_path / "preset"))
    assert list(tokenizer("tok3 tok4")) == [8, 9]


def vocab_of(tmp_path, size: int):
    vocab = tmp_path / f"vocab{size}.txt"
    vocab.write_text("".join(t + "\n" for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                             + [f"t{i}" for i in range(size - 5)]), encoding="utf-8")
    return vocab


def test_registry_init_writes_a_loadable_bundle_with_the_published_heads(tmp_path):
    """UER's miniatures carry an MLM head (BertForMaskedLM) and no NSP head."""
    assert run_command("convert", ["--init_from_registry=uer/chinese_roberta_L-2_H-128",
                                   f"--vocab_file={vocab_of(tmp_path, 21128)}", f"--output_dir={tmp_path / 'b'}"]) == 0
    loaded = load(locate(str(tmp_path / "b")), heads=("masked_lm", "next_sentence"))
    assert loaded.report.initial_heads == {"next_sentence"} and loaded.config.num_hidden_layers == 2


def test_a_random_clue_release_is_headless_like_the_real_one(tmp_path, capsys):
    """CLUE's zips hold no cls/*: fill_mask refuses the random twin as it refuses the real files."""
    assert run_command("convert", ["--init_from_registry=roberta-tiny-clue", f"--vocab_file={vocab_of(tmp_path, 8021)}",
                                   f"--output_dir={tmp_path / 'b'}"]) == 0
    capsys.readouterr()
    assert run_command("fill_mask", [f"--bundle_dir={tmp_path / 'b'}", "--text=[MASK]"]) == 1
    assert "has no masked_lm head, so it cannot fill masks" in capsys.readouterr().err


def test_every_registry_entry_names_heads_its_family_has():
    from clue_tf.checkpoints.registry import load_registry

    entries = load_registry()
    assert all(set(e.heads) <= set(e.family.heads) for e in entries.values())
    assert entries["roberta-tiny-pair"].heads == () and entries["chinese_L-12_H-768_A-12"].heads == (
        "masked_lm", "next_sentence")


def test_registry_init_refuses_a_vocab_of_another_size(tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", encoding="utf-8")
    with pytest.raises(VocabError, match="5 lines, but the model has 8021 embedding rows"):
        convert.model_from_registry("roberta-tiny-clue", str(vocab), str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


NEW_FAMILY_ENTRIES = ["hfl/chinese-roberta-wwm-ext", "hfl/chinese-roberta-wwm-ext-large", "hfl/chinese-macbert-base",
                      "hfl/chinese-macbert-large", "hfl/chinese-electra-180g-small-discriminator",
                      "hfl/chinese-electra-180g-base-discriminator", "hfl/chinese-electra-180g-large-discriminator",
                      "nghuyong/ernie-3.0-nano-zh", "nghuyong/ernie-3.0-micro-zh", "nghuyong/ernie-3.0-mini-zh",
                      "nghuyong/ernie-3.0-medium-zh", "nghuyong/ernie-3.0-base-zh"]


@pytest.mark.parametrize("name", NEW_FAMILY_ENTRIES)
def test_hfl_and_ernie_entries_have_the_published_parameter_counts(name):
    """The publishers' tables round to the million, large models a little looser (HFL's
    MacBERT-large says 324M of the 325.5M counted, as its RoBERTa-wwm-ext-large says 325M)."""
    entry = load_registry()[name]
    published = float(entry.published["params"].rstrip("M")) * 1e6
    assert abs(entry.num_parameters - published) <= max(0.5e6, 0.006 * published), (entry.num_parameters, published)


@pytest.mark.parametrize("name", ["hfl/chinese-electra-180g-small-discriminator", "nghuyong/ernie-3.0-nano-zh"])
def test_small_new_family_entries_build_their_counted_parameters(name):
    entry = load_registry()[name]
    assert entry.family.build(entry.config).count_params() == entry.num_parameters
    with_heads = entry.family.build(entry.config, entry.heads)  # the heads its release carries (ELECTRA's generator)
    assert with_heads.count_params() > entry.num_parameters or not entry.heads
