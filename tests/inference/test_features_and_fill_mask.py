"""extract_features (Google's JSON-lines format) and fill_mask, checked against Google's model."""

import json

import numpy as np

from clue_tf.checkpoints.folders import load, locate
from clue_tf.cli import run_command
from clue_tf.inference.fill_mask import fill_mask
from clue_tf.tokenization import FullTokenizer, encode_example
from tests.checkpoints.google_models import CONFIGS, google_bundle, google_model_outputs


def test_extract_features_writes_google_format_with_google_values(tmp_path):
    config = CONFIGS["tiny_type2"]
    bundle, _, _ = google_bundle(tmp_path / "google", config)
    text = tmp_path / "in.txt"
    text.write_text("tok1 tok2 tok3\ntok7 ||| tok8 tok9\n", encoding="utf-8")
    out = tmp_path / "features.jsonl"
    assert run_command("extract_features", [f"--bundle_dir={bundle}", f"--input_file={text}",
                                            f"--output_file={out}", "--layers=-1,-2",
                                            "--max_seq_length=11"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["linex_index"] for line in lines] == [0, 1]
    assert [f["token"] for f in lines[1]["features"]] == ["[CLS]", "tok7", "[SEP]", "tok8", "tok9", "[SEP]"]
    assert [layer["index"] for layer in lines[0]["features"][0]["layers"]] == [-1, -2]

    tokenizer = FullTokenizer(str(bundle / "vocab.txt"))
    encoded = [encode_example(tokenizer, "tok1 tok2 tok3", None, 11),
               encode_example(tokenizer, "tok7", "tok8 tok9", 11)]
    inputs = {"input_ids": np.array([e.input_ids for e in encoded], np.int32),
              "segment_ids": np.array([e.segment_ids for e in encoded], np.int32),
              "input_mask": np.array([e.input_mask for e in encoded], np.int32),
              "masked_lm_positions": np.zeros((2, 1), np.int32), "seed": np.array(0)}
    google = google_model_outputs(tmp_path / "rerun", config, inputs, str(bundle / "bert_model.ckpt"))
    for row, line in enumerate(lines):
        for position, feature in enumerate(line["features"]):
            for layer in feature["layers"]:
                want = google["encoder_outputs"][layer["index"], row, position]
                np.testing.assert_allclose(layer["values"], want, atol=2e-6)
                assert all(round(v, 6) == v for v in layer["values"])


def test_fill_mask_ranks_by_google_mlm_probabilities(tmp_path):
    config = CONFIGS["tiny_type2"]
    bundle, _, _ = google_bundle(tmp_path / "google", config)
    loaded = load(locate(str(bundle)), heads=("masked_lm", "next_sentence"))
    tokenizer = FullTokenizer(loaded.vocab, keep_special_tokens=True, special_tokens=["[MASK]"])
    results = fill_mask(loaded, "tok1 [MASK] tok3 [MASK]", top_k=3)
    assert len(results) == 2 and all(len(r) == 3 for r in results)

    ids = tokenizer.convert_tokens_to_ids(["[CLS]", "tok1", "[MASK]", "tok3", "[MASK]", "[SEP]"])
    inputs = {"input_ids": np.array([ids], np.int32), "segment_ids": np.zeros((1, 6), np.int32),
              "input_mask": np.ones((1, 6), np.int32), "masked_lm_positions": np.array([[2, 4]], np.int32),
              "seed": np.array(0)}
    google = google_model_outputs(tmp_path / "rerun", config, inputs, str(bundle / "bert_model.ckpt"))
    probabilities = np.exp(google["masked_lm_log_probs"])
    for slot, candidates in enumerate(results):
        best = np.argsort(-probabilities[slot])[:3]
        assert [c["token"] for c in candidates] == best.tolist()
        np.testing.assert_allclose([c["score"] for c in candidates], probabilities[slot][best], atol=1e-5)
    first = results[0][0]  # several masks: HF's pipeline keeps [CLS], [SEP] and the other mask
    assert first["sequence"] == f"[CLS] tok1 {first['token_str']} tok3 [MASK] [SEP]"


def test_fill_mask_command_prints_json(tmp_path, capsys):
    bundle, _, _ = google_bundle(tmp_path / "google", CONFIGS["tiny_type2"])
    assert run_command("fill_mask", [f"--bundle_dir={bundle}", "--text=tok1 [MASK]", "--top_k=2", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 1 and len(results[0]) == 2 and {"score", "token", "token_str", "sequence"} <= set(results[0][0])
