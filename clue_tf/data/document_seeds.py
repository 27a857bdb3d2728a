"""Per-document random streams: the same instances whatever the worker count or runner.

A document's instances are drawn from a generator seeded by (random seed, input file,
document index, dupe round) alone, so any split of the work across processes or
machines writes the same Examples. The file enters as its path relative to the input
files' common folder, so a corpus copied elsewhere (say to gs://) gives the same records.
"""

import hashlib
import random
from typing import Sequence

import numpy as np

FILE_ORDER_ROUND = -1  # the "round" of the stream that shuffles a file's instances


def file_keys(paths: Sequence[str]) -> dict[str, str]:
    """Each input path -> its path below the folder all of them share (a lone file: its name)."""
    parts = {p: p.replace("\\", "/").split("/") for p in paths}
    folders = [components[:-1] for components in parts.values()]
    shared = 0
    while folders and all(len(f) > shared and f[shared] == folders[0][shared] for f in folders):
        shared += 1
    return {p: "/".join(components[shared:]) for p, components in parts.items()}


def _path_key(path: str) -> int:
    """A stable 64-bit key of the path (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "little")


def document_seed(random_seed: int, path: str, document_index: int, dupe_round: int) -> np.random.SeedSequence:
    """The seed of one document's instances in one dupe round."""
    return np.random.SeedSequence([random_seed & 0xFFFFFFFFFFFFFFFF, _path_key(path),
                                   document_index + 1, dupe_round + 1])


def document_rng(random_seed: int, path: str, document_index: int, dupe_round: int) -> np.random.Generator:
    return np.random.default_rng(document_seed(random_seed, path, document_index, dupe_round))


def document_python_rng(random_seed: int, path: str, document_index: int, dupe_round: int) -> random.Random:
    """The same stream's seed as a `random.Random`, for the algorithms written against it."""
    state = document_seed(random_seed, path, document_index, dupe_round).generate_state(2, np.uint64)
    return random.Random(int(state[0]) << 64 | int(state[1]))
