"""The counts JSON written beside pretraining records (`<output>.counts.json`), which
run_pretraining reads to say how many epochs its steps cover."""

import json
import logging
import os
from typing import Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

SUFFIX = ".counts.json"


def counts_path(output: str) -> str:
    """`out.tfrecord` (a file or a shard prefix) -> `out.tfrecord.counts.json`."""
    return output + SUFFIX


def counts_record(counts: Mapping[str, int], record_files: Sequence[str], settings: Mapping) -> dict:
    return {"record_files": sorted(os.path.basename(f) for f in record_files),
            "counts": {name: int(value) for name, value in sorted(counts.items())},
            "settings": dict(settings)}


def counts_text(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=1) + "\n"


def record_files(patterns: str) -> list[str]:
    """TFRecord files of comma-separated globs, less the counts files a glob like `out/*` catches."""
    from clue_tf.io.inputs import expand_file_patterns

    return [f for f in expand_file_patterns(patterns, "TFRecord file") if not f.endswith(SUFFIX)]


def instances_in(record_files: Sequence[str]) -> Optional[int]:
    """The instance count of `record_files` from the counts files beside them, or None
    unless they are exactly whole sets that counts files describe (records made elsewhere)."""
    import tensorflow as tf

    sets: list[tuple[set, int]] = []
    for folder in sorted({os.path.dirname(f) for f in record_files}):
        for candidate in tf.io.gfile.glob(os.path.join(folder, "*" + SUFFIX)):
            try:
                with tf.io.gfile.GFile(candidate) as f:
                    record = json.load(f)
                members = {os.path.join(folder, name) for name in record["record_files"]}
                sets.append((members, int(record["counts"]["instances"])))
            except (ValueError, KeyError, TypeError, tf.errors.OpError):
                logger.warning("%s: not a counts file; ignored", candidate)
    wanted = set(record_files)
    total, seen = 0, set()
    for members, instances in sets:
        if members & wanted:
            if not members <= wanted:
                return None  # part of a set: its share of the instances is unknown
            total += instances
            seen |= members
    return total if seen == wanted else None
