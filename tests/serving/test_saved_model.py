"""The serving SavedModel against run_classifier and Google's tokenizer, loaded without clue_tf.

Models are tiny random BERTs whose weights are spread wide (N(0, 0.3) added), so the
labels are diverse; the real CLUE dev files are the inputs.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from clue_tf.checkpoints.folders import write
from clue_tf.errors import ClueTfError
from clue_tf.models.bert.config import BertConfig
from clue_tf.models.bert.family import BERT
from clue_tf.serving.export import ExportSettings, export_saved_model
from clue_tf.tasks.served import for_task, predict_file, report_dev_accuracy
from clue_tf.tasks.classifier import ClassifierSettings, run_classifier
from clue_tf.tasks.clue import get_task
from tests.helpers import CLUE_TEXT_FIELDS, google_encode, google_tokenize, perturbed, shared_path
from tests.tokenization.stress_texts import stress_texts

SERVE = Path(__file__).with_name("serve_without_clue_tf.py")
MAX_SEQ_LENGTH = 64
# Checks one task is enough for (the other fixture instance is the same code path).
ONLY_TNEWS = pytest.mark.parametrize("served", ["tnews"], indirect=True)
ONLY_AFQMC = pytest.mark.parametrize("served", ["afqmc"], indirect=True)
SLOW = pytest.mark.slow


def task_settings(*args, task_name: str, **kwargs) -> ExportSettings:
    """ExportSettings with a CLUE task's labels and pairing, as the commands build them."""
    return for_task(ExportSettings(*args, **kwargs), task_name)


def classifier_bundle(path: Path, vocab: Path, num_labels: int, seed: int) -> Path:
    """A 2-layer BERT with masked-LM and classifier heads, every weight moved by N(0, 0.3)
    so that outputs depend strongly on the text."""
    keras.utils.set_random_seed(seed)
    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    model = perturbed(BERT.build(config, ("masked_lm", "classifier"), num_labels), 0.3, seed)
    write(str(path), model, BERT, config, str(vocab))
    return path


def task_folder(tmp: Path, task_name: str) -> Path:
    """The task's real dev file, also as test.json (with ids) so run_classifier predicts it;
    for TNEWS also the first 300 lines as test1.0.json."""
    source = shared_path(f"data/clue/{task_name}_public")
    target = tmp / f"{task_name}_public"
    target.mkdir()
    lines = lines_of(source / "dev.json")
    (target / "dev.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = [dict(json.loads(line), id=i) for i, line in enumerate(lines)]
    (target / "test.json").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                      encoding="utf-8")
    if task_name == "tnews":  # TNEWS's second test file (CLUE 1.0), predicted beside test.json
        (target / "test1.0.json").write_text("".join(json.dumps(dict(r, id=10000 + r["id"]), ensure_ascii=False)
                                                     + "\n" for r in records[:300]), encoding="utf-8")
    if (source / "labels.json").exists():
        (target / "labels.json").write_text((source / "labels.json").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def lines_of(path: Path) -> list[str]:
    """A JSON-lines file's lines (split on newlines only: texts may hold U+2028)."""
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def json_texts(path: Path) -> list[str]:
    """Every text field of a CLUE JSON-lines file."""
    records = [json.loads(line) for line in lines_of(path)]
    return [r[k] for r in records for k in CLUE_TEXT_FIELDS if k in r]


def serve_without_clue_tf(saved_model: Path, signature: str, rows: list, tmp: Path) -> list:
    """Outputs per row of a signature called in a process that cannot import clue_tf or Keras."""
    inputs, outputs = tmp / f"{signature}.in.jsonl", tmp / f"{signature}.out.jsonl"
    inputs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = subprocess.run([sys.executable, str(SERVE), str(saved_model), signature, str(inputs), str(outputs)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in lines_of(outputs)]
    assert lines[-1] == {"forbidden_imports": []}
    return lines[:-1]


@pytest.fixture(scope="module")
def vocab():
    return shared_path("data/vocab/google_zh_vocab.txt")


@pytest.fixture(scope="module", params=["tnews", "afqmc"])
def served(request, tmp_path_factory, vocab):
    """(task, data folder, run_classifier's output folder, SavedModel folder) for one task."""
    task = get_task(request.param)
    tmp = tmp_path_factory.mktemp(task.name)
    data = task_folder(tmp, task.name)
    bundle = classifier_bundle(tmp / "bundle", vocab, len(task.labels), seed=len(task.labels))
    output = tmp / "run_classifier"
    run_classifier(ClassifierSettings(task_name=task.name, data_dir=str(data), output_dir=str(output),
                                      bundle_dir=str(bundle), do_predict=True, max_seq_length=MAX_SEQ_LENGTH,
                                      predict_batch_size=64))
    saved = tmp / "saved_model"
    export_saved_model(task_settings(str(saved), bundle_dir=str(bundle), task_name=task.name,
                                      max_seq_length=MAX_SEQ_LENGTH))
    return task, data, output, saved


def read_tsv(path: Path) -> np.ndarray:
    return np.array([[float(v) for v in line.split("\t")] for line in path.read_text().splitlines()])


def test_saved_model_without_clue_tf_gives_run_classifier_labels(served, tmp_path):
    task, data, output, saved = served
    records = [json.loads(line) for line in lines_of(data / "test.json")]
    rows = [{"text_a": r[task.text_fields[0]], **({"text_b": r[task.text_fields[1]]} if len(task.text_fields) > 1
                                                 else {})} for r in records]
    outputs = serve_without_clue_tf(saved, "serving_default", rows, tmp_path)
    expected_labels = [json.loads(line)["label"]
                       for line in lines_of(output / task.submission_file)]
    expected_probabilities = read_tsv(output / "test_results.tsv")
    assert len(outputs) == len(records) == len(expected_labels)
    assert len(set(expected_labels)) >= 2  # the head is not constant: labels can disagree
    assert [o["label"] for o in outputs] == expected_labels
    assert [task.labels[o["label_id"]] for o in outputs] == expected_labels
    np.testing.assert_allclose(np.array([o["probabilities"] for o in outputs]), expected_probabilities, atol=1e-5)


def test_predict_command_writes_run_classifier_files(served, tmp_path):
    task, data, output, saved = served
    written = predict_file(str(saved), str(data / "test.json"), str(tmp_path), task.name, batch_size=100)
    expected = sorted(p.name for p in output.glob("*_predict.json"))
    assert len(expected) == (2 if task.name == "tnews" else 1)  # TNEWS: tnews11 and tnews10
    assert [Path(p).name for p in written] == expected
    for name in expected:
        assert (tmp_path / name).read_text(encoding="utf-8") == (output / name).read_text(encoding="utf-8")
    tsvs = sorted(p.name for p in output.glob("test_results*.tsv"))
    assert sorted(p.name for p in tmp_path.glob("test_results*.tsv")) == tsvs
    for name in tsvs:
        np.testing.assert_allclose(read_tsv(tmp_path / name), read_tsv(output / name), atol=1e-5)


def test_predict_refuses_another_task(served, tmp_path):
    task, data, _, saved = served
    other = "afqmc" if task.name == "tnews" else "tnews"
    with pytest.raises(ClueTfError, match=f"serves {task.name}, not --task_name={other}"):
        predict_file(str(saved), str(data / "test.json"), str(tmp_path), other)


@ONLY_TNEWS
def test_saved_model_tokenizer_matches_google_full_tokenizer(served, tmp_path, vocab):
    task, _, _, saved = served
    texts = []  # dev and test files (train files are covered in tests/tokenization, in-graph)
    for task_dir in sorted(shared_path("data/clue").iterdir()):
        texts.extend(t for name in ("dev.json", "test.json") if (task_dir / name).exists()
                     for t in json_texts(task_dir / name))
    texts = list(dict.fromkeys(texts + stress_texts()))
    expected = [r["ids"] for r in google_tokenize(texts, vocab, (True,))[True]]
    outputs = serve_without_clue_tf(saved, "tokenize", [{"text": t} for t in texts], tmp_path)
    actual = [o["token_ids"][: o["lengths"]] for o in outputs]
    differing = [(t, e, a) for t, e, a in zip(texts, expected, actual) if e != a]
    assert len(actual) == len(texts) and not differing, differing[:3]


@ONLY_AFQMC
def test_saved_model_packing_matches_google_convert_single_example(served, tmp_path, vocab):
    """[CLS] a [SEP] b [SEP] with Google's truncation, at a length that truncates often."""
    task, data, _, saved = served
    short = 24
    pair_model = tmp_path / "short"
    export_saved_model(task_settings(str(pair_model), bundle_dir=str(saved.parent / "bundle"), task_name="afqmc",
                                      max_seq_length=short))
    records = [json.loads(line) for line in lines_of(data / "dev.json")[:500]]
    pairs = [[r["sentence1"], r["sentence2"]] for r in records]
    expected = google_encode(pairs, vocab, short)
    outputs = serve_without_clue_tf(pair_model, "features_pair", [{"text_a": a, "text_b": b} for a, b in pairs],
                                    tmp_path)
    for e, o in zip(expected, outputs):
        length = sum(o["padding_mask"])
        assert o["token_ids"][:length] == e["input_ids"][:length] and sum(e["input_mask"]) == length
        assert o["padding_mask"][:length] == e["input_mask"][:length]
    assert len(outputs) == len(pairs)


def test_bad_requests_give_defined_results_or_one_clear_error(served):
    task, _, _, saved = served
    function = tf.saved_model.load(str(saved)).signatures["serving_default"]
    pair = len(task.text_fields) == 2

    def call(texts_a, texts_b=None):
        inputs = {"text_a": tf.constant(texts_a, tf.string)}
        if pair:
            inputs["text_b"] = tf.constant(texts_b if texts_b is not None else texts_a, tf.string)
        return {k: v.numpy() for k, v in function(**inputs).items()}

    clean, dirty = "银行卡怎么还款", b"\xff\xfe" + "银行卡".encode() + b"\xc3" + "怎么还款".encode() + b"\x80"
    out = call([clean, dirty, "", "长" * 10_000])
    np.testing.assert_allclose(out["probabilities"][1], out["probabilities"][0], atol=1e-6)  # bad bytes dropped
    np.testing.assert_allclose(out["probabilities"][3], call(["长" * (MAX_SEQ_LENGTH * 2)])["probabilities"][0],
                               atol=1e-6)  # truncated as run_classifier truncates
    assert np.isfinite(out["probabilities"]).all()
    assert call([])["probabilities"].shape == (0, len(task.labels))
    if pair:
        with pytest.raises(tf.errors.InvalidArgumentError, match="text_a and text_b must have the same number"):
            function(text_a=tf.constant(["a", "b"]), text_b=tf.constant(["a"]))
    assert call(["还能用"])["label"].shape == (1,)  # the loaded model still serves


def test_saved_model_cli_lists_the_signatures(served):
    task, _, _, saved = served
    cli = Path(sys.executable).with_name("saved_model_cli")
    if not cli.exists():
        pytest.skip("saved_model_cli is not installed beside this Python")
    shown = subprocess.run([str(cli), "show", "--dir", str(saved), "--all"], capture_output=True, text=True,
                           timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    for name in ("serving_default", "features", "features_pair", "fill_mask", "tokenize"):
        assert f"signature_def['{name}']" in shown.stdout
    assert "inputs['text_b']" in shown.stdout.split("signature_def['serving_default']")[1] or task.name == "tnews"


@ONLY_TNEWS
def test_fill_mask_signature_matches_the_fill_mask_command(served, vocab):
    task, _, _, saved = served
    from clue_tf.checkpoints.folders import load_folder
    from clue_tf.inference.fill_mask import fill_mask

    text = "北京是[MASK]国的首[MASK]。"
    expected = fill_mask(load_folder(str(saved.parent / "bundle"), heads=("masked_lm",)), text, top_k=5)
    out = tf.saved_model.load(str(saved)).signatures["fill_mask"](text=tf.constant([text, "没有掩码"]))
    assert out["mask_positions"].numpy().tolist() == [[4, 8], [-1, -1]]
    for slot, candidates in enumerate(expected):
        assert out["token_ids"].numpy()[0, slot].tolist() == [c["token"] for c in candidates]
        assert [t.decode() for t in out["tokens"].numpy()[0, slot]] == [c["token_str"] for c in candidates]
        np.testing.assert_allclose(out["scores"].numpy()[0, slot], [c["score"] for c in candidates], rtol=1e-4)


@ONLY_TNEWS
def test_bfloat16_export_stores_bfloat16_weights_and_keeps_most_labels(served, tmp_path):
    task, data, output, saved = served
    bf16 = tmp_path / "bf16"
    export_saved_model(task_settings(str(bf16), bundle_dir=str(saved.parent / "bundle"), task_name=task.name,
                                      max_seq_length=MAX_SEQ_LENGTH, precision="bfloat16"))
    dtypes = tf.train.load_checkpoint(str(bf16 / "variables" / "variables")).get_variable_to_dtype_map()
    kernels = [dtype for name, dtype in dtypes.items() if "kernel" in name or "embeddings" in name]
    assert len(kernels) > 10 and set(kernels) == {tf.bfloat16}
    loaded = tf.saved_model.load(str(bf16))
    texts = [json.loads(line)["sentence"] for line in lines_of(data / "dev.json")[:500]]
    fp32 = tf.saved_model.load(str(saved)).signatures["serving_default"](text_a=tf.constant(texts))
    half = loaded.signatures["serving_default"](text_a=tf.constant(texts))
    assert np.abs(half["probabilities"].numpy() - fp32["probabilities"].numpy()).max() < 0.05
    assert (half["label_id"].numpy() == fp32["label_id"].numpy()).mean() > 0.9


@SLOW  # ~40 s; the report line itself (int8) is checked by tests/serving/test_int8.py in the default run
@ONLY_AFQMC
def test_precision_report_agrees_with_run_classifier_eval(served, tmp_path):
    """The float32 dev accuracy the bfloat16 export prints is run_classifier --do_eval's."""
    task, data, _, saved = served
    bundle = saved.parent / "bundle"
    results = run_classifier(ClassifierSettings(task_name=task.name, data_dir=str(data), output_dir=str(tmp_path / "eval"),
                                                bundle_dir=str(bundle), do_eval=True, max_seq_length=MAX_SEQ_LENGTH,
                                                eval_batch_size=64))
    settings = task_settings(str(tmp_path / "bf16"), bundle_dir=str(bundle), task_name=task.name,
                              max_seq_length=MAX_SEQ_LENGTH, precision="bfloat16")
    export_saved_model(settings)
    line = report_dev_accuracy(settings, str(data / "dev.json"))
    match = re.search(r"float32 ([0-9.]+), bfloat16 ([0-9.]+) \(([-+][0-9.]+) points; (\d+) of (\d+) labels differ", line)
    assert match, line
    assert float(match.group(1)) == pytest.approx(100 * results["eval"]["eval_accuracy"], abs=0.006)
    assert int(match.group(5)) == results["eval"]["eval_examples"]
    assert float(match.group(3)) == pytest.approx(float(match.group(2)) - float(match.group(1)), abs=0.011)


def test_export_refuses_a_head_that_was_never_trained(tmp_path, vocab):
    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    write(str(tmp_path / "encoder"), BERT.build(config), BERT, config, str(vocab))
    with pytest.raises(ClueTfError, match="has no classifier head"):
        export_saved_model(task_settings(str(tmp_path / "out"), bundle_dir=str(tmp_path / "encoder"),
                                          task_name="tnews"))
    assert not (tmp_path / "out").exists()
    info = export_saved_model(ExportSettings(str(tmp_path / "features"), bundle_dir=str(tmp_path / "encoder")))
    assert info["signatures"] == ["features", "features_pair", "serving_default", "tokenize"]
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    with pytest.raises(ClueTfError, match="not a SavedModel"):
        export_saved_model(ExportSettings(str(tmp_path / "busy"), bundle_dir=str(tmp_path / "encoder")))
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep me"


def test_run_classifier_exports_what_it_trained(tmp_path, vocab):
    data = task_folder(tmp_path, "tnews")
    lines = lines_of(data / "dev.json")
    (data / "train.json").write_text("\n".join(lines[:64]) + "\n", encoding="utf-8")
    (data / "dev.json").write_text("\n".join(lines[64:128]) + "\n", encoding="utf-8")
    (data / "test.json").write_text("\n".join(
        json.dumps(dict(json.loads(line), id=i), ensure_ascii=False) for i, line in enumerate(lines[:200])) + "\n",
        encoding="utf-8")
    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    write(str(tmp_path / "encoder"), BERT.build(config), BERT, config, str(vocab))
    output = tmp_path / "out"
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(output),
                                      bundle_dir=str(tmp_path / "encoder"), do_train=True, do_predict=True,
                                      max_seq_length=MAX_SEQ_LENGTH, num_train_epochs=1, train_batch_size=16,
                                      learning_rate=1e-3, export_saved_model=str(tmp_path / "served")))
    predict_file(str(tmp_path / "served"), str(data / "test.json"), str(tmp_path / "again"), "tnews")
    name = get_task("tnews").submission_file
    assert (tmp_path / "again" / name).read_text(encoding="utf-8") == (output / name).read_text(encoding="utf-8")


@ONLY_AFQMC
def test_commands_export_and_predict_as_the_library_does(served, tmp_path, capsys):
    from clue_tf.cli import run_command

    task, data, output, saved = served
    bundle = saved.parent / "bundle"
    assert run_command("export_saved_model", [f"--bundle_dir={bundle}", f"--export_dir={tmp_path / 'm'}",
                                              f"--data_dir={data}"]) == 1
    assert "--data_dir needs --task_name" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
    assert run_command("export_saved_model", [f"--bundle_dir={bundle}", f"--export_dir={tmp_path / 'm'}",
                                              "--task_name=afqmc", f"--max_seq_length={MAX_SEQ_LENGTH}"]) == 0
    assert run_command("predict", [f"--saved_model={tmp_path / 'm'}", f"--input_file={data / 'test.json'}",
                                   f"--output_dir={tmp_path / 'out'}", "--submission_zip"]) == 0
    assert f"wrote {tmp_path / 'out' / task.submission_file}" in capsys.readouterr().out
    assert (tmp_path / "out" / task.submission_file).read_text(encoding="utf-8") == \
        (output / task.submission_file).read_text(encoding="utf-8")
    assert (tmp_path / "out" / "submission.zip").exists()


def assert_served_labels_equal_run_classifiers(family, config, tmp_path: Path, vocab: Path, lines: int) -> None:
    """A perturbed TNEWS classifier of `family`: run_classifier's predictions, the SavedModel's
    and `predict`'s are the same labels (at least two of them) and probabilities."""
    data = task_folder(tmp_path, "tnews")
    kept = lines_of(data / "test.json")[:lines]
    (data / "test.json").write_text("\n".join(kept) + "\n", encoding="utf-8")
    keras.utils.set_random_seed(1)
    model = perturbed(family.build(config, ("classifier",), 15), 0.3, 1)
    write(str(tmp_path / "model"), model, family, config, str(vocab), family.native_format)
    run_classifier(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(tmp_path / "out"),
                                      bundle_dir=str(tmp_path / "model"), do_predict=True,
                                      max_seq_length=MAX_SEQ_LENGTH, predict_batch_size=64))
    export_saved_model(task_settings(str(tmp_path / "served"), bundle_dir=str(tmp_path / "model"),
                                      task_name="tnews", max_seq_length=MAX_SEQ_LENGTH))
    predict_file(str(tmp_path / "served"), str(data / "test.json"), str(tmp_path / "again"), "tnews")
    name = get_task("tnews").submission_file
    expected = (tmp_path / "out" / name).read_text(encoding="utf-8")
    assert len({json.loads(line)["label"] for line in expected.splitlines()}) >= 2
    assert (tmp_path / "again" / name).read_text(encoding="utf-8") == expected
    np.testing.assert_allclose(read_tsv(tmp_path / "again" / "test_results.tsv"),
                               read_tsv(tmp_path / "out" / "test_results.tsv"), atol=1e-5)


@pytest.mark.parametrize("layout", ["google", pytest.param("brightmart", marks=SLOW)])  # ~16 s each
def test_albert_classifier_serves_run_classifier_labels(layout, tmp_path, vocab):
    from clue_tf.models.albert.config import AlbertConfig
    from clue_tf.models.albert.family import ALBERT

    config = AlbertConfig(vocab_size=21128, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                          num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                          hidden_act="relu", layout=layout)
    assert_served_labels_equal_run_classifiers(ALBERT, config, tmp_path, vocab, lines=1000)


def _new_family_config(name: str):
    """A small classifier config of each family on Google's 21,128-line vocab."""
    from clue_tf.models.electra.config import ElectraConfig
    from clue_tf.models.ernie.config import ErnieConfig
    from clue_tf.models.nezha.config import NezhaConfig
    from clue_tf.models.roformer.config import RoFormerConfig

    sizes = dict(vocab_size=21128, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return {"electra": ElectraConfig(**sizes, embedding_size=16, max_position_embeddings=128),
            "ernie": ErnieConfig(**sizes, max_position_embeddings=128, use_task_id=True, layer_norm_eps=1e-5),
            "roformer": RoFormerConfig(**sizes),
            "nezha": NezhaConfig(**sizes)}[name]


# ELECTRA and ERNIE (~16 s each) serve through BERT's positions and are slow; RoFormer's rotary and NEZHA's
# relative positions stay in the default run
@pytest.mark.parametrize("family_name", [pytest.param("electra", marks=SLOW), pytest.param("ernie", marks=SLOW),
                                         "roformer", "nezha"])
def test_new_family_classifier_serves_run_classifier_labels(family_name, tmp_path, vocab):
    from clue_tf.families import get_family

    assert_served_labels_equal_run_classifiers(get_family(family_name), _new_family_config(family_name), tmp_path,
                                               vocab, lines=300)
