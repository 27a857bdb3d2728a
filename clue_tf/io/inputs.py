"""Reading inputs: UTF-8 lines with errors naming file and line, local or remote (gs://)
files, comma-separated globs as Google's --input_file."""

import glob
from typing import IO, Iterator

from clue_tf.errors import InputTextError


ENCODING_ERRORS = ("strict", "replace")


def read_lines(path: str, errors: str = "strict", advice: str = "save the file as UTF-8") -> Iterator[str]:
    """Lines of a UTF-8 text file without their line ends ('\\n', and a '\\r' before it).

    With errors="strict" a line that is not valid UTF-8 raises an error naming the file
    and line, ending with `advice` (a command with a way around it says so); errors="replace"
    decodes it with U+FFFD instead.
    """
    if errors not in ENCODING_ERRORS:
        raise ValueError(f"errors must be one of {ENCODING_ERRORS}, got {errors!r}")
    f = _open_binary(path)
    with f:
        for number, raw in enumerate(f, start=1):
            raw = raw.rstrip(b"\n").removesuffix(b"\r")
            try:
                yield raw.decode("utf-8", errors)
            except UnicodeDecodeError as e:
                raise InputTextError(
                    f"{path}:{number}: line is not valid UTF-8 (byte 0x{raw[e.start]:02x} at "
                    f"byte {e.start + 1}); {advice}"
                ) from None


def _open_binary(path) -> IO[bytes]:
    """A local file, or through TensorFlow's file systems a remote one (gs://, hdfs://)."""
    try:
        if "://" in str(path):
            import tensorflow as tf

            if not tf.io.gfile.exists(path):
                raise InputTextError(f"{path}: cannot read input file (no such file)")
            return tf.io.gfile.GFile(path, "rb")
        return open(path, "rb")
    except OSError as e:
        raise InputTextError(f"{path}: cannot read input file ({e.strerror})") from None


def expand_file_patterns(patterns: str, what: str = "input file") -> list[str]:
    """Comma-separated globs -> sorted files, as Google's --input_file; a pattern that
    matches nothing is an error naming it."""
    files = []
    for pattern in patterns.split(","):
        matches = sorted(_glob(pattern))
        if not matches:
            raise InputTextError(f"{pattern}: no {what} matches")
        files.extend(matches)
    return files


def _glob(pattern: str) -> list[str]:
    if "://" in pattern:
        import tensorflow as tf

        return tf.io.gfile.glob(pattern)
    return glob.glob(pattern)
