"""Running one subcommand: absl-style flag parsing, help, quiet logs, one-line errors.

Each command module defines its flags on its own `absl.flags.FlagValues` (so commands
never collide), has a docstring that `--help` prints, and a `main(flags) -> int`.
Flags keep Google's syntax: `--do_train=true`, `--nodo_train`, `--flagfile=...`.
"""

import faulthandler
import logging
import os
import signal
import sys
import threading
import types
import warnings
from typing import Optional, Sequence

from absl import flags

from clue_tf.errors import ClueTfError

HELP_FLAGS = ("-h", "--help", "-help", "--helpshort", "--helpfull", "-?")


def define_verbosity_flag(flag_values: flags.FlagValues) -> None:
    flags.DEFINE_integer(
        "verbosity", 0,
        "0: our messages only; 1: also TensorFlow's logs and full tracebacks on errors.",
        short_name="v", flag_values=flag_values,
    )


def requested_verbosity(argv: Sequence[str]) -> int:
    """The --verbosity/-v value in argv, read before TensorFlow is imported."""
    for i, arg in enumerate(argv):
        for prefix in ("--verbosity=", "-verbosity=", "-v=", "--v="):
            if arg.startswith(prefix):
                return _int_or(arg[len(prefix):], 1)
        if arg in ("--verbosity", "-verbosity", "-v", "--v"):
            return _int_or(argv[i + 1] if i + 1 < len(argv) else "", 1)
    return 0


def _int_or(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def configure_logging(verbosity: int) -> None:
    """Silences TensorFlow's C++ start-up chatter (CUDA probes, oneDNN) and library
    warnings (Keras's mask notices) unless asked."""
    if verbosity <= 0:
        warnings.simplefilter("ignore")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        logging.getLogger("absl").setLevel(logging.ERROR)
        logging.getLogger("apache_beam").setLevel(logging.ERROR)  # worker harness chatter
    logging.basicConfig(
        level=logging.INFO if verbosity <= 0 else logging.DEBUG,
        format="%(message)s" if verbosity <= 0 else "%(levelname)s %(name)s: %(message)s",
    )


def quiet_native_logs() -> None:
    """Sends file descriptor 2 to /dev/null while Python's sys.stderr keeps the terminal, so
    C++ log lines no TensorFlow setting silences (XLA's absl "Compiled cluster" notice) do
    not reach the user; our messages, tracebacks and progress bars do. For the console
    command only, never inside a host program. Child processes (Beam's local workers) inherit
    the silenced descriptor; they report progress on /dev/tty."""
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        return
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    faulthandler.enable(file=sys.stderr)  # a crash still says where


def command_help(name: str, module: types.ModuleType, full: bool = False) -> str:
    """The command's docstring and its flags (--helpfull adds absl's --flagfile etc.)."""
    doc = (module.__doc__ or "").strip()
    flag_help = module.FLAGS.get_help(include_special_flags=full)
    return f"usage: clue-tf {name} [--flag=value ...]\n\n{doc}\n\nflags:\n{flag_help}\n"


def run(name: str, module: types.ModuleType, argv: Optional[Sequence[str]] = None) -> int:
    """Parses argv (without the program name) for `module` and runs it; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(arg in HELP_FLAGS for arg in argv):
        sys.stdout.write(command_help(name, module, full="--helpfull" in argv))
        return 0
    verbosity = requested_verbosity(argv)
    configure_logging(verbosity)
    flag_values: flags.FlagValues = module.FLAGS
    # A module with `UNKNOWN_FLAGS_GO_TO` (e.g. "Beam") gets the flags it does not define.
    passes_unknown_flags = bool(getattr(module, "UNKNOWN_FLAGS_GO_TO", None))
    for flag_name in list(flag_values):
        flag_values[flag_name].unparse()  # a second run in one process starts from defaults
    try:
        extra = flag_values([f"clue-tf {name}", *argv], known_only=passes_unknown_flags)[1:]
    except flags.Error as e:
        print(f"clue-tf {name}: {e}", file=sys.stderr)
        return 2
    if extra and not passes_unknown_flags:
        print(f"clue-tf {name}: unexpected argument {extra[0]!r} (flags look like --name=value)",
              file=sys.stderr)
        return 2
    return _run_main(name, module, flag_values, verbosity, extra if passes_unknown_flags else None)


def _run_main(name: str, module: types.ModuleType, flag_values: flags.FlagValues, verbosity: int,
              extra: Optional[list]) -> int:
    """Runs the module's main, turning our errors, SIGTERM and ^C into one line and an exit code."""
    previous = _on_sigterm(_raise_terminated)  # what Slurm and Kubernetes send
    try:
        from clue_tf.cli.common_flags import adopt_model_folder

        adopt_model_folder(flag_values)
        return (module.main(flag_values) if extra is None else module.main(flag_values, extra)) or 0
    except Terminated:
        print(f"clue-tf {name}: terminated (SIGTERM); partial outputs removed, earlier ones kept",
              file=sys.stderr)
        return 143
    except ClueTfError as e:
        if verbosity > 0:
            raise
        print(f"clue-tf {name}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"clue-tf {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    finally:
        _on_sigterm(previous)


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so every atomic writer removes its partial file."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def _on_sigterm(handler):
    """Sets the SIGTERM handler where Python allows it (the main thread); returns the old one."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)
