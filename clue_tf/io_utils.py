"""File helpers: atomic replacement, strict UTF-8 line reading, JSON config I/O."""

import contextlib
import errno
import glob
import json
import os
import shutil
import tempfile
from typing import IO, Iterator, Optional

from clue_tf.errors import ConfigError, InputTextError, OutputError

ENCODING_ERRORS = ("strict", "replace")


def temp_prefix(path: str) -> str:
    """Hidden temp names beside `path` carry the writer's PID, so a later writer can tell
    the leftovers of a killed run (dead PID) from a live one's."""
    return f".{os.path.basename(os.path.abspath(path))}.{os.getpid()}."


def remove_stale_temps(path: str) -> None:
    """Removes temp files and folders beside `path` left by writers that no longer run."""
    directory, base = os.path.split(os.path.abspath(path))
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        pid = _writer_pid(name, base)
        if pid is not None and not _alive(pid):
            stale = os.path.join(directory, name)
            if os.path.isdir(stale):
                shutil.rmtree(stale, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(stale)


def _writer_pid(name: str, base: str) -> Optional[int]:
    """The PID in a temp name `.BASE.PID.*`, or None for any other name."""
    if not name.startswith(f".{base}."):
        return None
    pid = name[len(base) + 2:].split(".", 1)[0]
    return int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """Writes to a temporary file beside `path` and renames it over `path` on success.

    An interrupted or failing write leaves any earlier file at `path` untouched and
    no partial file behind (a killed writer's temp file is removed by the next writer).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp_path = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=directory)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)
        raise_disk_full(e, path)
        raise


@contextlib.contextmanager
def atomic_directory(path: str) -> Iterator[str]:
    """Yields a temporary folder beside `path` that replaces `path` when the block succeeds.

    An interrupted or failing write leaves any earlier folder at `path` untouched. A run
    killed between the two renames leaves the earlier folder as `.NAME.PID.old.*`: the next
    writer puts it back first, and removes every leftover of dead writers.
    """
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    _restore_interrupted_swap(target)
    remove_stale_temps(target)
    tmp_dir = tempfile.mkdtemp(prefix=temp_prefix(target), dir=parent)
    try:
        yield tmp_dir
        _fsync_tree(tmp_dir)
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=temp_prefix(target) + "old.", dir=parent)
            os.rmdir(old)
            os.rename(target, old)
            os.rename(tmp_dir, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp_dir, target)
    except BaseException as e:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise_disk_full(e, target)
        raise


def raise_disk_full(error: BaseException, path: str) -> None:
    """A full disk (or quota) while writing `path` becomes one line naming it; the earlier
    output there is kept."""
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
    full = full or "No space left on device" in str(error)  # TF's ResourceExhaustedError
    if full:
        raise OutputError(f"{path}: cannot write, the disk is full (an earlier {os.path.basename(path)} "
                          "there is kept)") from None


def _restore_interrupted_swap(target: str) -> None:
    """If `target` is missing but a dead writer's `.NAME.PID.old.*` is there, renames it back."""
    if os.path.exists(target):
        return
    parent, base = os.path.split(target)
    for name in sorted(os.listdir(parent)):
        pid = _writer_pid(name, base)
        if pid is not None and name[len(base) + 2:].split(".")[1:2] == ["old"] and not _alive(pid):
            os.rename(os.path.join(parent, name), target)
            return


def _fsync_tree(folder: str) -> None:
    """Flushes every file of `folder` to disk before it is renamed into place."""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())


def read_lines(path: str, errors: str = "strict", advice: str = "save the file as UTF-8") -> Iterator[str]:
    """Lines of a UTF-8 text file without their line ends ('\\n', and a '\\r' before it).

    With errors="strict" a line that is not valid UTF-8 raises an error naming the file
    and line, ending with `advice` (a command with a way around it says so); errors="replace"
    decodes it with U+FFFD instead.
    """
    if errors not in ENCODING_ERRORS:
        raise ValueError(f"errors must be one of {ENCODING_ERRORS}, got {errors!r}")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputTextError(f"{path}: cannot read input file ({e.strerror})") from None
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


def expand_file_patterns(patterns: str, what: str = "input file") -> list[str]:
    """Comma-separated globs -> sorted files, as Google's --input_file; a pattern that
    matches nothing is an error naming it."""
    files = []
    for pattern in patterns.split(","):
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise InputTextError(f"{pattern}: no {what} matches")
        files.extend(matches)
    return files


def read_json_config(path: str) -> dict:
    """A JSON object from a config file, or a ConfigError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a JSON config ({e})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return values


def write_json_config(values: dict, path: str) -> None:
    """Writes a config as indented UTF-8 JSON (atomically)."""
    with atomic_write(path) as f:
        json.dump(values, f, indent=2, ensure_ascii=False)
        f.write("\n")
