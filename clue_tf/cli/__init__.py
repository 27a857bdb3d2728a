"""`clue-tf COMMAND [--flag=value ...]`: one entry point, commands named after Google's scripts."""

import importlib
import sys
from typing import Optional, Sequence

from clue_tf import __version__

# name -> one line for `clue-tf --help`
COMMANDS = {
    "create_pretraining_data": "make pretraining TFRecords from raw text (masked LM/NSP, T5 spans, Pegasus gaps)",
    "run_pretraining": "pretrain any registered family under a tf.distribute strategy",
    "run_classifier": "fine-tune / evaluate / predict a CLUE classification task",
    "extract_features": "write contextual embeddings as Google's JSON lines",
    "tokenize": "tokenize a text file exactly as Google's FullTokenizer",
    "export_saved_model": "a SavedModel serving raw text: exact tokenizer, model and labels",
    "predict": "predict a CLUE test file with an exported SavedModel",
    "fill_mask": "predict the tokens behind [MASK] with a bundle's MLM head",
    "text2text": "generate text with a Chinese T5 v1.1 or Pegasus model",
    "convert": "convert a model between its published forms (bundle, HF, UER, keras-hub, .keras)",
    "build_vocab": "learn a WordPiece vocab.txt from a corpus",
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {summary}" for name, summary in COMMANDS.items()]
    return (
        f"usage: clue-tf COMMAND [--flag=value ...]   (clue-tf {__version__})\n\n"
        "Chinese pretrained language models for TensorFlow 2 / Keras 3.\n\ncommands:\n"
        + "\n".join(lines)
        + "\n\n'clue-tf COMMAND --help' lists a command's flags. Each command also runs as\n"
        "'python -m clue_tf.COMMAND', and takes the flags of Google's script of that name.\n"
    )


def run_command(name: str, argv: Optional[Sequence[str]] = None) -> int:
    """Imports clue_tf.cli.NAME and runs it on argv (flags only); returns the exit code."""
    from clue_tf.cli import app

    argv = list(sys.argv[1:] if argv is None else argv)
    # Read --verbosity before the command module (and TensorFlow) is imported.
    app.configure_logging(app.requested_verbosity(argv))
    module = importlib.import_module(f"clue_tf.cli.{name}")
    return app.run(name, module, argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help", "--helpfull"):
        sys.stdout.write(usage())
        return 0
    if argv[0] in ("--version", "version"):
        print(f"clue-tf {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f" Did you mean: {close[0]} ?" if close else ""
        print(f"clue-tf: unknown command '{name}'.{hint} (clue-tf --help lists them)", file=sys.stderr)
        return 2
    from clue_tf.cli import app

    if app.requested_verbosity(rest) <= 0 and not any(arg in app.HELP_FLAGS for arg in rest):
        app.quiet_native_logs()
    return run_command(name, rest)
