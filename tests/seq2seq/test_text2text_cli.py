"""`clue-tf text2text` on an HF-saved T5: the text HF's greedy generation decodes to."""

import numpy as np
import pytest

from clue_tf.cli import run_command
from clue_tf.tokenization.full_tokenizer import FullTokenizer
from clue_tf.tokenization.vocab import load_vocab
from tests.seq2seq import hf_models


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("t5_cli")
    vocab_size = len(hf_models.write_vocab(model_dir / "vocab.txt"))
    return model_dir, hf_models.hf_t5(model_dir, vocab_size)


def hf_text(reference, vocab, text: str, max_length: int, num_beams: int = 1) -> str:
    """HF generation on Google-tokenized input, decoded as HF's pipeline shows it."""
    import torch

    tokenizer = FullTokenizer(vocab, keep_special_tokens=True)
    ids = [101, *tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)), 102]
    with torch.no_grad():
        out = reference.generate(input_ids=torch.tensor([ids]), max_length=max_length, do_sample=False,
                                 num_beams=num_beams, decoder_start_token_id=101, eos_token_id=102,
                                 pad_token_id=0)[0].tolist()
    tokens = [vocab.lines[i] for i in out if vocab.lines[i] not in ("[CLS]", "[SEP]", "[PAD]")]
    return " ".join(tokens)


def test_text2text_prints_hf_greedy_output(t5_dir, capsys):
    model_dir, reference = t5_dir
    text = "中国的首都是extra0京"
    assert run_command("text2text", [f"--model_dir={model_dir}", f"--text={text}", "--max_length=12"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == hf_text(reference, load_vocab(str(model_dir / "vocab.txt")), text, 12)
    assert len(printed.split()) >= 3


def test_text2text_batch_file_with_beams(t5_dir, tmp_path):
    model_dir, _ = t5_dir
    source = tmp_path / "in.txt"
    source.write_text("北京天气很好\n我们在学习extra0\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    args = [f"--model_dir={model_dir}", f"--input_file={source}", f"--output_file={out}", "--max_length=8"]
    assert run_command("text2text", args + ["--num_beams=3"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(1 <= len(line.split()) <= 7 for line in lines)


def test_missing_weight_is_named(t5_dir, tmp_path, capsys):
    from safetensors.numpy import load_file, save_file

    model_dir, _ = t5_dir
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "vocab.txt"):
        (broken / name).write_bytes((model_dir / name).read_bytes())
    state = load_file(str(model_dir / "model.safetensors"))
    del state["decoder.final_layer_norm.weight"]
    save_file(state, str(broken / "model.safetensors"), metadata={"format": "pt"})
    assert run_command("text2text", [f"--model_dir={broken}", "--text=北京"]) != 0
    assert "decoder.final_layer_norm.weight is missing" in capsys.readouterr().err


def test_wrong_shape_and_truncated_file_are_named(t5_dir, tmp_path, capsys):
    from safetensors.numpy import load_file, save_file

    model_dir, _ = t5_dir
    state = load_file(str(model_dir / "model.safetensors"))
    for case, mutate in (("shape", lambda d: save_file({**state, "shared.weight": np.zeros((3, 3), np.float32)},
                                                        str(d / "model.safetensors"), metadata={"format": "pt"})),
                         ("truncated", lambda d: (d / "model.safetensors").write_bytes(
                             (model_dir / "model.safetensors").read_bytes()[:5000]))):
        broken = tmp_path / case
        broken.mkdir()
        for name in ("config.json", "vocab.txt"):
            (broken / name).write_bytes((model_dir / name).read_bytes())
        mutate(broken)
        assert run_command("text2text", [f"--model_dir={broken}", "--text=北京"]) != 0
        err = capsys.readouterr().err
        assert str(broken / "model.safetensors") in err
        assert ("shared.weight has shape [3, 3]" in err) if case == "shape" else ("truncated" in err)


@pytest.mark.parametrize("flag", ["--max_length=0", "--max_length=1", "--batch_size=0", "--num_beams=0"])
def test_lengths_and_sizes_below_one_step_are_one_line(t5_dir, tmp_path, capsys, flag):
    model_dir, _ = t5_dir
    out = tmp_path / "out.txt"
    assert run_command("text2text", [f"--model_dir={model_dir}", "--text=北京", f"--output_file={out}", flag]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"error: {flag}:" in err
    assert not out.exists()


def test_generation_prints_no_warnings_or_native_log_lines(t5_dir):
    """Keras's mask notices and XLA's C++ "Compiled cluster" line stay hidden at verbosity 0."""
    import os
    import subprocess
    import sys

    model_dir, _ = t5_dir
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "clue_tf.text2text", f"--model_dir={model_dir}",
                             "--text=北京", "--max_length=6", "--num_beams=2"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{model_dir}/model.safetensors: loaded "), lines
    assert result.stdout.strip()


def test_a_vocab_shorter_than_the_embedding_is_one_error(t5_dir, tmp_path, capsys):
    model_dir, _ = t5_dir
    short = tmp_path / "short"
    short.mkdir()
    for item in model_dir.iterdir():
        (short / item.name).write_bytes(item.read_bytes())
    lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    (short / "vocab.txt").write_text("\n".join(lines[:-5]) + "\n", encoding="utf-8")
    assert run_command("text2text", [f"--model_dir={short}", "--text=北京"]) == 1
    err = capsys.readouterr().err
    assert f"{len(lines) - 5} lines, but the model's word embeddings have {len(lines)} rows" in err
