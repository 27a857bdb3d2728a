"""Models by name without the internet: `hf://` and registry names through a Hub served on
loopback, release archives through a loopback file server (a transfer cut halfway, a wrong
checksum, offline mode), folders on TensorFlow's file systems, and the folders transformers 5's
own save_pretrained writes (tokenizer.json, no vocab.txt)."""

import dataclasses
import io
import json
import os
import shutil
import zipfile

import numpy as np
import pytest

from clue_tf.checkpoints import downloads, sources
from clue_tf.checkpoints.folders import load, locate
from clue_tf.checkpoints.registry import load_registry
from clue_tf.cli import run_command
from clue_tf.errors import CheckpointError, VocabError
from tests.checkpoints import hf_bert
from tests.checkpoints.loopback import LoopbackFiles, LoopbackHub

TEXT = "中国的首都是[MASK]京"
UER_NAME = "uer/chinese_roberta_L-2_H-128"  # a registry entry whose source is its Hub repo


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    """An HF BertForMaskedLM folder in every weight format, plus files clue-tf must not fetch."""
    folder = tmp_path_factory.mktemp("repo") / "tiny"
    hf_bert.hf_bert_mlm(folder, formats=("safetensors", "bin", "h5"))
    (folder / "flax_model.msgpack").write_bytes(b"not fetched")
    (folder / "README.md").write_text("a model card")
    return folder


@pytest.fixture(scope="module")
def transformers5_folder(tmp_path_factory, hf_folder):
    """The model and tokenizer as transformers 5's save_pretrained writes them: no vocab.txt."""
    _, transformers = hf_bert.require_hf()
    folder = tmp_path_factory.mktemp("t5saved") / "saved"
    transformers.AutoModelForMaskedLM.from_pretrained(str(hf_folder)).save_pretrained(folder)
    transformers.BertTokenizer.from_pretrained(str(hf_folder)).save_pretrained(folder)
    assert not (folder / "vocab.txt").exists() and (folder / "tokenizer.json").exists()
    return folder


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hub and clue-tf caches, online."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("CLUE_TF_CACHE", str(tmp_path / "clue-cache"))
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def hf_fill_mask(folder, top_k=3):
    _, transformers = hf_bert.require_hf()
    fill = transformers.pipeline("fill-mask", model=str(folder), tokenizer=str(folder), top_k=top_k, device="cpu")
    return fill(TEXT)


def our_fill_mask(bundle_dir, capsys, *extra) -> list:
    assert run_command("fill_mask", [f"--bundle_dir={bundle_dir}", f"--text={TEXT}", "--top_k=3", "--json",
                                     *extra]) == 0
    return json.loads(capsys.readouterr().out)[0]


def assert_same_predictions(ours, expected):
    assert [c["token_str"] for c in ours] == [c["token_str"] for c in expected]
    np.testing.assert_allclose([c["score"] for c in ours], [c["score"] for c in expected], atol=1e-5)


def test_hf_name_fetches_one_format_and_then_works_offline(hf_folder, caches, monkeypatch, capsys):
    expected = hf_fill_mask(hf_folder)
    with LoopbackHub({"uer/tiny": {"main": hf_folder}}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert_same_predictions(our_fill_mask("hf://uer/tiny", capsys), expected)
        assert hub.fetched() == {"config.json", "vocab.txt", "model.safetensors"}
        asked = len(hub.requests)
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        assert_same_predictions(our_fill_mask("hf://uer/tiny", capsys), expected)
        assert len(hub.requests) == asked  # the cache answered


def test_registry_name_comes_from_its_hub_repo_at_a_revision(hf_folder, caches, monkeypatch, capsys):
    other = caches / "v1"
    shutil.copytree(hf_folder, other)
    (other / "model.safetensors").unlink()  # the older revision published pytorch_model.bin only
    with LoopbackHub({UER_NAME: {"main": hf_folder, "v1": other}}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert locate(UER_NAME).kind == "safetensors"
        files = locate(f"hf://{UER_NAME}@v1")
        assert files.kind == "torch" and "pytorch_model.bin" in hub.fetched()
        assert any("/revision/v1" in path for _, path, _ in hub.requests)
        with pytest.raises(CheckpointError, match="no revision 'v2'"):
            locate(f"hf://{UER_NAME}@v2")
        with pytest.raises(CheckpointError, match="no such model"):
            locate("hf://uer/not-there")


def test_offline_with_nothing_cached_is_one_line_saying_what_to_do(caches, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError, match=r"offline .* not in the Hub cache.*--bundle_dir") as e:
        locate("hf://uer/tiny")
    assert "\n" not in str(e.value)
    with pytest.raises(CheckpointError, match=r"offline .* not in the cache; download https://storage") as e:
        locate("clue/roberta_tiny")
    assert "\n" not in str(e.value)


def test_transformers5_folder_reads_its_vocab_from_tokenizer_json(transformers5_folder, caches, monkeypatch,
                                                                  capsys):
    """fill_mask on save_pretrained's folder equals HF's pipeline on it, from disk and over hf://."""
    expected = hf_fill_mask(transformers5_folder)
    assert_same_predictions(our_fill_mask(transformers5_folder, capsys), expected)
    files = locate(str(transformers5_folder))
    assert open(files.vocab_file, encoding="utf-8").read().split("\n")[:-1] == hf_bert.VOCAB
    with LoopbackHub({"someone/saved": {"main": transformers5_folder}}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert_same_predictions(our_fill_mask("hf://someone/saved", capsys), expected)
        assert {"tokenizer.json", "tokenizer_config.json"} <= hub.fetched()


@pytest.mark.parametrize("lower", [True, False])
def test_tokenizer_casing_follows_the_folder_as_hf_does(hf_folder, tmp_path, caches, lower, capsys):
    _, transformers = hf_bert.require_hf()
    (tmp_path / "in.txt").write_text("中国 Hello 中国首都\n", encoding="utf-8")
    folder = tmp_path / "cased"
    shutil.copytree(hf_folder, folder)
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in hf_bert.VOCAB + ["hello"]), encoding="utf-8")
    tokenizer = transformers.BertTokenizer.from_pretrained(str(folder), do_lower_case=lower)
    (folder / "vocab.txt").unlink()
    tokenizer.save_pretrained(folder)
    out = tmp_path / "tokens.txt"
    assert run_command("tokenize", [f"--bundle_dir={folder}", f"--input_file={tmp_path / 'in.txt'}",
                                    f"--output_file={out}"]) == 0
    assert out.read_text(encoding="utf-8").split() == tokenizer.tokenize("中国 Hello 中国首都")
    # a flag that contradicts the folder is refused, not silently applied
    assert run_command("tokenize", [f"--bundle_dir={folder}", f"--input_file={tmp_path / 'in.txt'}",
                                    f"--output_file={out}", f"--do_lower_case={not lower}"]) == 1
    assert "tokenizer files say do_lower_case" in capsys.readouterr().err


def test_casing_google_cannot_reproduce_is_refused(hf_folder, tmp_path):
    _, transformers = hf_bert.require_hf()
    folder = tmp_path / "no-strip"
    shutil.copytree(hf_folder, folder)
    transformers.BertTokenizer.from_pretrained(str(folder), do_lower_case=True, strip_accents=False
                                               ).save_pretrained(folder)
    with pytest.raises(VocabError, match=r"tokenizer.json: strip_accents=false with do_lower_case=true"):
        locate(str(folder))


def _zip_of(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for path in sorted(folder.iterdir()):
            z.write(path, f"{folder.name}/{path.name}")  # releases unzip to one folder
    return buffer.getvalue()


def _registry_with(url: str, sha256: str) -> dict:
    """The real registry plus one entry whose release lives on the loopback server."""
    registry = load_registry()
    entry = dataclasses.replace(registry["roberta-tiny-clue"], name="test/tiny-release", aliases=(),
                                source={"url": url, "sha256": sha256})
    return {**registry, entry.name: entry}


def test_release_archive_resumes_a_cut_transfer_and_is_cached(hf_folder, caches, monkeypatch):
    data = _zip_of(hf_folder)
    with LoopbackFiles({"/tiny.zip": data}, cut_first=["/tiny.zip"]) as server:
        registry = _registry_with(server.url + "/tiny.zip", downloads.hashlib.sha256(data).hexdigest())
        folder = sources.resolve("test/tiny-release", registry)
        assert [r for _, _, r in server.requests] == ["", f"bytes={len(data) // 2}-"]
        loaded = load(locate(folder), heads=("masked_lm",))
        assert not loaded.report.initial_heads
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        assert sources.resolve("test/tiny-release", registry) == folder and len(server.requests) == 2


def test_download_interrupted_in_an_earlier_run_resumes(caches):
    data = os.urandom(3 << 20)
    target = caches / "dl" / "blob.bin"
    target.parent.mkdir()
    (caches / "dl" / "blob.bin.part").write_bytes(data[:1000])
    with LoopbackFiles({"/blob.bin": data}) as server:
        downloads.download(server.url + "/blob.bin", str(target), downloads.hashlib.sha256(data).hexdigest())
        assert [r for _, _, r in server.requests] == ["bytes=1000-"]
    assert target.read_bytes() == data and not (caches / "dl" / "blob.bin.part").exists()


def test_release_with_a_wrong_checksum_is_refused_and_removed(hf_folder, caches):
    with LoopbackFiles({"/tiny.zip": _zip_of(hf_folder)}) as server:
        registry = _registry_with(server.url + "/tiny.zip", "0" * 64)
        with pytest.raises(CheckpointError, match=r"tiny.zip from http.*: sha256 [0-9a-f]{64} differs .* removed"):
            sources.resolve("test/tiny-release", registry)
    left = [os.path.join(d, f) for d, _, fs in os.walk(caches / "clue-cache") for f in fs]
    assert left == []


def test_folder_on_a_tensorflow_file_system(hf_folder, caches):
    import tensorflow as tf

    remote = "ram://bucket/models/tiny"
    for path in hf_folder.iterdir():
        with tf.io.gfile.GFile(f"{remote}/{path.name}", "wb") as f:
            f.write(path.read_bytes())
    files = locate(remote)
    assert files.kind == "safetensors" and os.path.exists(files.vocab_file)
    assert open(files.weights, "rb").read() == (hf_folder / "model.safetensors").read_bytes()


def test_unknown_name_suggests_a_registry_name():
    with pytest.raises(CheckpointError, match="did you mean the registry's uer/chinese_roberta_L-2_H-128"):
        locate("uer/chinese_roberta_L-2_H128")


def test_every_registry_entry_says_where_it_downloads_from():
    """A Hub repo or an https archive; only Huawei's NEZHA (Google Drive / Baidu Pan) is by hand."""
    for name, entry in load_registry().items():
        if entry.source.get("hf"):
            assert sources.hub.parse(entry.source["hf"])[0].count("/") == 1, name
        elif entry.source.get("url"):
            assert entry.source["url"].startswith("https://") and entry.source["url"].endswith(
                (".zip", ".tar.gz")), name
        else:
            assert name.startswith("huawei/nezha"), f"{name}: no source"
