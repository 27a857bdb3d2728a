"""The output discipline: atomic files and folders, replace sets with a journal, the lock of
an output folder, the one rule for output folders, and a full disk as one line."""

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from typing import IO, Iterator, Optional, Sequence

from clue_tf.errors import OutputError


LOCK_NAME = ".clue-tf.lock"


JOURNAL_SUFFIX = ".replace-set.json"


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# The modes open() and mkdir() would give (mkstemp and mkdtemp give 0600 and 0700).
FILE_MODE = 0o666 & ~_umask()


DIR_MODE = 0o777 & ~_umask()


def temp_prefix(path: str) -> str:
    """Hidden temp names beside `path` carry the writer's PID, so a later writer can tell
    the leftovers of a killed run (dead PID) from a live one's."""
    return f".{os.path.basename(os.path.abspath(path))}.{os.getpid()}."


# `.NAME.PID.XXXXXXXX[.tmp]` (mkstemp / mkdtemp names) and `.NAME.PID.old.XXXXXXXX` (a folder
# being swapped out); the PID tells a dead writer's leftovers from a live one's.
TEMP_NAME = re.compile(r"^\.(?P<base>.+)\.(?P<pid>\d+)\.(?P<old>old\.)?[A-Za-z0-9_]{8}(?:\.tmp)?$")


def remove_stale_temps(path: str) -> None:
    """Cleans the folder `path` is written into of the leftovers of writers that no longer run:
    their replace-sets past the commit point are finished, a folder swapped out by a writer
    killed between its two renames is put back, every other temp file and folder is removed."""
    directory = os.path.dirname(os.path.abspath(path))
    finish_interrupted_sets(directory)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return
    for name in names:
        match = TEMP_NAME.match(name)
        if match is None or _alive(int(match["pid"])):
            continue
        stale, original = os.path.join(directory, name), os.path.join(directory, match["base"])
        if match["old"] and not os.path.exists(original):
            os.rename(stale, original)
        elif os.path.isdir(stale):
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(stale)


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
    check_file_target(path)
    remove_stale_temps(path)
    fd, tmp_path = new_temp_file(path)
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
    remove_stale_temps(target)
    tmp_dir = tempfile.mkdtemp(prefix=temp_prefix(target), dir=parent)
    os.chmod(tmp_dir, DIR_MODE)
    try:
        yield tmp_dir
        _settle_tree(tmp_dir)
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


@contextlib.contextmanager
def atomic_file_path(path: str) -> Iterator[str]:
    """For writers that take a path, not a file object (Keras's save_weights): yields a path
    with `path`'s name inside a temp folder beside it, renamed over `path` when the block
    succeeds; a killed run's folder is removed by the next writer there."""
    path = os.fspath(path)
    check_file_target(path)
    remove_stale_temps(path)
    folder = tempfile.mkdtemp(prefix=temp_prefix(path), dir=os.path.dirname(os.path.abspath(path)))
    temporary = os.path.join(folder, os.path.basename(path))
    try:
        yield temporary
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException as e:
        raise_disk_full(e, path)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_own_folder(path: str, flag: str = "output_dir") -> None:
    """The one rule for every command's output folder: a folder of its own, never the working
    folder, a folder above it, or the home folder (their files are not the run's to mix with)."""
    target = os.path.realpath(path)
    here = os.path.realpath(os.getcwd())
    home = os.path.realpath(os.path.expanduser("~"))
    if target == here or here.startswith(target.rstrip(os.sep) + os.sep) or target == home:
        raise OutputError(f"--{flag}={path}: is the working folder, a folder above it or the home folder; "
                          f"give the run a folder of its own (e.g. --{flag}=out/run1)")


def check_file_target(path: str) -> None:
    """An output file's path must not be a folder, and its folder must be creatable."""
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a folder; give the path of a file to write")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{path}: cannot write there, a part of {directory} is a file") from None


def new_temp_file(path: str) -> tuple[int, str]:
    """A hidden temp file beside `path` (named for this writer) with a plain file's mode."""
    fd, tmp_path = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp",
                                    dir=os.path.dirname(os.path.abspath(path)))
    os.fchmod(fd, FILE_MODE)
    return fd, tmp_path


@contextlib.contextmanager
def replace_together(paths: Sequence[str]) -> Iterator[list[str]]:
    """Yields one temp path per output path; on success all outputs replace the old ones as a set.

    The temp files are flushed, then a journal listing the renames is written (the commit
    point), then the renames are done and the journal removed. A run killed before the
    journal leaves the old set (its temp files are removed by the next writer); one killed
    after it is finished by the next writer into any of those folders, so readers never get
    half an old set and half a new one once a writer has run.
    """
    paths = [os.path.abspath(os.fspath(p)) for p in paths]
    temps = []
    journal = os.path.join(os.path.dirname(paths[0]), f".{os.getpid()}{JOURNAL_SUFFIX}")
    committed = False
    try:
        for path in paths:
            check_file_target(path)
            remove_stale_temps(path)
            fd, tmp_path = new_temp_file(path)
            os.close(fd)
            temps.append(tmp_path)
        yield list(temps)
        for tmp_path in temps:
            with open(tmp_path, "rb") as f:
                os.fsync(f.fileno())
        with atomic_write(journal) as f:
            json.dump(list(zip(temps, paths)), f)
        committed = True
        _finish_journal(journal)
    except BaseException as e:
        if committed:  # past the commit point the new set is finished, not dropped
            with contextlib.suppress(OSError, ValueError):
                _finish_journal(journal)
        else:
            for tmp_path in temps:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_path)
        raise_disk_full(e, ", ".join(paths))
        raise


def _finish_journal(journal: str) -> None:
    """Does the renames a replace-set journal lists (those not done yet), then removes it."""
    with open(journal, encoding="utf-8") as f:
        moves = json.load(f)
    for tmp_path, path in moves:
        if os.path.exists(tmp_path):
            os.replace(tmp_path, path)
    os.unlink(journal)


def finish_interrupted_sets(directory: str) -> None:
    """Completes the replace-sets of writers that were killed after their commit point."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        pid = name[1:-len(JOURNAL_SUFFIX)] if name.startswith(".") and name.endswith(JOURNAL_SUFFIX) else ""
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError, ValueError):
                _finish_journal(os.path.join(directory, name))


@contextlib.contextmanager
def output_lock(output_dir: str, command: str) -> Iterator[None]:
    """Holds OUTPUT_DIR/.clue-tf.lock for the run, so a second run into the same folder is
    refused naming the first one. The lock is an flock the kernel drops when its holder dies,
    so a dead run's lock is taken over even when its PID now belongs to another process; the
    PID and command in the file only feed the message. A folder this call created and the run
    left empty is removed again."""
    check_own_folder(output_dir)
    created = not os.path.exists(output_dir)
    if os.path.isfile(output_dir):
        raise OutputError(f"--output_dir={output_dir}: is a file")
    os.makedirs(output_dir, exist_ok=True)
    lock = os.path.join(output_dir, LOCK_NAME)
    fd = _take_lock(lock, output_dir)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {command}\n".encode())
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)  # still held: no other run can hold this file meanwhile
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(output_dir)  # only if empty


def _take_lock(lock: str, output_dir: str) -> int:
    """An open descriptor of `lock` holding its exclusive flock, or an OutputError naming the
    run that holds it. Retries when the file was removed by its holder between open and flock."""
    for _ in range(10):
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid, command = _lock_holder(lock) or ("?", "run")
            raise OutputError(f"--output_dir={output_dir}: in use by clue-tf {command} (PID {pid}); "
                              "wait for it to end or choose another folder") from None
        try:
            same_file = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            return fd
        os.close(fd)  # its holder finished and removed it after we opened it: take the new one
    raise OutputError(f"--output_dir={output_dir}: cannot take {lock}")


def _lock_holder(lock: str) -> Optional[tuple[int, str]]:
    """(PID, command) written in a lock file, or None if it cannot be read."""
    try:
        with open(lock, encoding="utf-8") as f:
            pid, _, command = f.read().strip().partition(" ")
        return int(pid), command
    except (OSError, ValueError):
        return None


def raise_disk_full(error: BaseException, path: str) -> None:
    """A full disk (or quota) while writing `path` becomes one line naming it; the earlier
    output there is kept."""
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
    full = full or "No space left on device" in str(error)  # TF's ResourceExhaustedError
    if full:
        raise OutputError(f"{path}: cannot write, the disk is full (an earlier {os.path.basename(path)} "
                          "there is kept)") from None


def _settle_tree(folder: str) -> None:
    """Flushes every file of `folder` to disk before it is renamed into place, and gives files
    and folders the modes open() and mkdir() would (some writers, safetensors among them,
    create their files 0600)."""
    for root, folders, files in os.walk(folder):
        for name in folders:
            os.chmod(os.path.join(root, name), DIR_MODE)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, FILE_MODE)
            with open(path, "rb") as f:
                os.fsync(f.fileno())
