"""Release archives by URL and model folders on TensorFlow's file systems, fetched once into
clue-tf's cache: resumable transfers, sha256 checks, unpacking that stays inside its folder.

The cache is `$CLUE_TF_CACHE`, else `$XDG_CACHE_HOME/clue_tf` (`~/.cache/clue_tf`). HF Hub
models stay in huggingface_hub's own cache (checkpoints/hub.py), shared with transformers.
"""

import hashlib
import json
import logging
import os
import shutil
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from typing import Optional

from tqdm import tqdm

from clue_tf.errors import CheckpointError
from clue_tf.io.outputs import atomic_directory, atomic_write

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
RETRIES = 5
SOURCE_NOTE = ".clue_tf_source.json"  # inside an unpacked release: where it came from, its sha256


def cache_root() -> str:
    """Where clue-tf keeps what it downloads and derives (read at call time, so it can move)."""
    if os.environ.get("CLUE_TF_CACHE"):
        return os.environ["CLUE_TF_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "clue_tf")


def offline() -> bool:
    """HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1): the one switch for every download."""
    return any(os.environ.get(k, "").upper() in ("1", "ON", "YES", "TRUE")
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, path: str, sha256: Optional[str] = None, retries: int = RETRIES) -> str:
    """Downloads `url` to `path` (kept as `path.part` until complete and checked), resuming an
    interrupted transfer with an HTTP Range request; a checksum that differs removes the file."""
    part = path + ".part"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    for attempt in range(retries + 1):
        try:
            _transfer(url, part)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            if isinstance(e, urllib.error.HTTPError) and e.code not in (408, 429, 500, 502, 503, 504):
                raise CheckpointError(f"{url}: HTTP {e.code} {e.reason}") from None
            if attempt == retries:
                raise CheckpointError(f"{url}: download failed after {retries + 1} tries ({e}); run the command "
                                      f"again to resume from {part}") from None
            logger.info("%s: transfer cut (%s); resuming", url, e)
            time.sleep(min(2 ** attempt, 10) * 0.1)
    got = sha256_of(part)
    if sha256 and got != sha256.lower():
        os.remove(part)
        raise CheckpointError(f"{os.path.basename(path)} from {url}: sha256 {got} differs from the recorded "
                              f"{sha256}; the download was removed")
    if not sha256:
        logger.warning("%s: no sha256 recorded for it; the download's sha256 is %s", url, got)
    os.replace(part, path)
    return got


def _transfer(url: str, part: str) -> None:
    """One request: appends to `part` from its current size (206), or starts over (200)."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the part is already whole
            return
        raise
    with response:
        resumed = response.status == 206
        total = response.headers.get("Content-Length")
        total = int(total) + (have if resumed else 0) if total is not None else None
        start = have if resumed else 0
        progress = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                        desc=os.path.basename(url), disable=None, leave=False)
        with open(part, "ab" if resumed else "wb") as out, progress:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                progress.update(len(chunk))
        size = os.path.getsize(part)
    if total is not None and size < total:
        raise ConnectionError(f"connection closed at {size} of {total} bytes")


def _safe_members(names: list[str], archive: str) -> None:
    for name in names:
        normal = os.path.normpath(name)
        if os.path.isabs(normal) or normal == ".." or normal.startswith(".." + os.sep):
            raise CheckpointError(f"{archive}: member {name!r} would unpack outside its folder; refused")


def unpack(archive: str, folder: str, note: dict) -> str:
    """Unpacks a .zip / .tar.gz / .tgz / .tar into `folder` atomically, with `note` inside."""
    with atomic_directory(folder) as tmp:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                _safe_members(z.namelist(), archive)
                z.extractall(tmp)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                _safe_members(t.getnames(), archive)
                t.extractall(tmp, filter="data")
        else:
            raise CheckpointError(f"{archive}: neither a zip nor a tar archive")
        with open(os.path.join(tmp, SOURCE_NOTE), "w", encoding="utf-8") as f:
            json.dump(note, f)
    return folder


def release_folder(name: str, url: str, sha256: Optional[str]) -> str:
    """The unpacked release `name` from `url`: from the cache, or downloaded, checked and unpacked."""
    key = name.replace("/", "--")
    folder = os.path.join(cache_root(), "releases", key)
    if os.path.exists(os.path.join(folder, SOURCE_NOTE)):
        return folder
    if offline():
        raise CheckpointError(f"{name}: offline (HF_HUB_OFFLINE=1) and not in the cache; download {url}, unpack "
                              f"it and give --bundle_dir=<that folder> (or unpack it as {folder})")
    archive = os.path.join(cache_root(), "downloads", key + "--" + os.path.basename(url))
    logger.info("%s: downloading %s", name, url)
    got = download(url, archive, sha256)
    unpack(archive, folder, {"name": name, "url": url, "sha256": got})
    os.remove(archive)
    return folder


def gfile_folder(url: str) -> str:
    """A model folder on a TensorFlow file system (gs://, s3://, hdfs://, ram://) copied into the
    cache, file by file, skipping files already there at the same size."""
    import tensorflow as tf

    if not tf.io.gfile.isdir(url):
        raise CheckpointError(f"{url}: not a folder on TensorFlow's file systems (or not reachable)")
    scheme, rest = url.split("://", 1)
    folder = os.path.join(cache_root(), "gfile", scheme, rest.strip("/").replace("/", os.sep))
    for parent, _, files in tf.io.gfile.walk(url):
        relative = parent[len(url):].lstrip("/")
        for name in files:
            source = f"{parent.rstrip('/')}/{name}"
            target = os.path.join(folder, relative, name)
            size = tf.io.gfile.stat(source).length
            if os.path.exists(target) and os.path.getsize(target) == size:
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tf.io.gfile.GFile(source, "rb") as src, atomic_write(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK_BYTES)
    return folder
