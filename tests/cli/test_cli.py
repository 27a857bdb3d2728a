"""The clue-tf entry point: help, Google-style flags, one-line errors, tokenize, build_vocab."""

import os
import subprocess
import sys

import pytest

from clue_tf.cli import COMMANDS, main, run_command
from tests.helpers import PROJECT_ROOT, shared_path

SAMPLE_VOCAB = PROJECT_ROOT / "sample" / "vocab.txt"
SAMPLE_TEXT = PROJECT_ROOT / "sample" / "sample_zh.txt"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Runs the installed console script, as a user would."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI must be quiet on its own
    return subprocess.run(["clue-tf", *args], capture_output=True, text=True, env=env, timeout=300)


def test_top_level_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_help_and_runs_as_python_module(name):
    result = subprocess.run([sys.executable, "-m", f"clue_tf.{name}", "--helpfull"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"usage: clue-tf {name}" in result.stdout and "--verbosity" in result.stdout


def test_unknown_flag_is_one_line_with_the_closest_flag(capsys):
    assert run_command("run_classifier", ["--do_trian=true"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("clue-tf run_classifier: Unknown command line flag 'do_trian'. "
                   "Did you mean: do_train ?")


def test_unknown_command_suggests_the_closest(capsys):
    assert main(["run_clasifier"]) == 2
    assert "Did you mean: run_classifier" in capsys.readouterr().err


def test_google_boolean_syntax_is_accepted():
    from clue_tf.cli import run_classifier

    fv = run_classifier.FLAGS
    fv.unparse_flags()
    fv(["prog", "--task_name=tnews", "--data_dir=d", "--output_dir=o",
        "--do_train=true", "--nodo_eval", "--do_predict", "--max_seq_length=64"])
    assert (fv.do_train, fv.do_eval, fv.do_predict, fv.max_seq_length) == (True, False, True, 64)
    fv.unparse_flags()


def test_bundle_dir_stands_for_the_three_files_and_explicit_flags_win(tmp_path):
    from clue_tf.checkpoints.folders import write
    from clue_tf.cli import run_classifier
    from clue_tf.cli.common_flags import locate_model
    from clue_tf.models.bert.config import BertConfig
    from clue_tf.models.bert.family import BERT

    config = BertConfig(vocab_size=6, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, type_vocab_size=2)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n", encoding="utf-8")
    write(str(tmp_path / "tiny"), BERT.build(config), BERT, config, str(vocab))
    fv = run_classifier.FLAGS
    for bundle_flag in ("--bundle_dir", "--model_dir"):
        fv.unparse_flags()
        fv(["prog", "--task_name=tnews", "--data_dir=d", "--output_dir=o",
            f"{bundle_flag}={tmp_path / 'tiny'}", f"--vocab_file={vocab}"])
        files = locate_model(fv)
        assert files.config_file == str(tmp_path / "tiny" / "bert_config.json")
        assert files.weights == str(tmp_path / "tiny" / "bert_model.ckpt")
        assert files.vocab_file == str(vocab) and files.family is BERT
    fv.unparse_flags()


def test_tokenize_command_is_quiet_and_both_paths_write_the_same_file(tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("中国的首都是北京。\n\n全角！ＡＢ\u3000Hello, World\n最后一行没有换行", encoding="utf-8")
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    outputs = []
    for in_graph in ("false", "true"):
        out = tmp_path / f"out-{in_graph}.txt"
        result = run_cli("tokenize", f"--vocab_file={vocab}", f"--input_file={text}",
                         f"--output_file={out}", f"--in_graph={in_graph}")
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""  # no TensorFlow start-up chatter
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    lines = outputs[0].split("\n")
    assert lines[0] == "中 国 的 首 都 是 北 京 。" and lines[1] == "" and len(lines) == 5
    assert lines[2] == "全 角 ！ ａ ##ｂ hello , world"


def test_tokenize_names_the_bad_line_and_leaves_no_output(tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_bytes("第一行\n第二行\n".encode() + b"\xe4\xb8 broken\n")
    out = tmp_path / "out.txt"
    args = [f"--vocab_file={SAMPLE_VOCAB}", f"--input_file={text}", f"--output_file={out}"]
    assert run_command("tokenize", args) == 1
    assert f"{text}:3: line is not valid UTF-8" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [text]
    assert run_command("tokenize", args + ["--errors=replace"]) == 0
    assert out.read_text(encoding="utf-8").split("\n")[2] == "[UNK]"


def test_tokenize_keeps_an_existing_output_when_it_fails(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("earlier good result\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\n")
    assert run_command("tokenize", [f"--vocab_file={SAMPLE_VOCAB}", f"--input_file={bad}",
                                    f"--output_file={out}"]) == 1
    assert out.read_text(encoding="utf-8") == "earlier good result\n"


def test_missing_vocab_is_a_one_line_error(tmp_path, capsys):
    args = [f"--vocab_file={tmp_path}/none.txt", f"--input_file={SAMPLE_TEXT}",
            f"--output_file={tmp_path}/out.txt"]
    assert run_command("tokenize", args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.txt: cannot read vocab file" in err


def test_build_vocab_learns_a_vocab_that_covers_its_corpus(tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    assert run_command("build_vocab", [f"--input_file={SAMPLE_TEXT}", f"--output_file={vocab}",
                                       "--vocab_size=2000"]) == 0
    lines = vocab.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 2000  # the sample is small: the command says so instead of staying silent
    assert capsys.readouterr().out.strip() == (
        f"wrote {len(lines)} tokens -> {vocab} (2000 asked: the corpus holds no more word pieces seen at least "
        "--min_count=1 times; a larger corpus gives more)")
    assert lines[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    from clue_tf.tokenization import FullTokenizer

    tokenizer = FullTokenizer(str(vocab))
    tokens = [t for line in SAMPLE_TEXT.read_text(encoding="utf-8").splitlines()
              for t in tokenizer.tokenize(line)]
    assert tokens and "[UNK]" not in tokens


def test_shipped_sample_vocab_covers_the_sample_text():
    from clue_tf.tokenization import FullTokenizer

    tokenizer = FullTokenizer(str(SAMPLE_VOCAB))
    for line in SAMPLE_TEXT.read_text(encoding="utf-8").splitlines():
        assert "[UNK]" not in tokenizer.tokenize(line), line


def test_missing_required_flags_are_named(capsys):
    assert run_command("run_classifier", ["--do_train=true"]) == 2
    err = capsys.readouterr().err
    assert "--task_name" in err and "--data_dir" in err and "--output_dir" in err
