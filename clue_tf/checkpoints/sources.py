"""What `--bundle_dir` may name besides a local folder, resolved to one: `hf://ORG/NAME[@REV]`,
a registry name (`uer/chinese_roberta_L-4_H-256`, `clue/roberta_tiny`), a release archive's
URL, or a folder on a TensorFlow file system (`gs://...`)."""

import difflib
import logging
import os
from typing import Optional

from clue_tf.checkpoints import downloads, hub
from clue_tf.errors import CheckpointError

logger = logging.getLogger(__name__)


def resolve(value: str, registry: Optional[dict] = None) -> str:
    """A local folder (or file) for `value`; a local path wins over a registry name."""
    if os.path.exists(value):
        return value
    if value.startswith(hub.PREFIX):
        return hub.hub_folder(*hub.parse(value))
    if value.startswith(("http://", "https://")):
        name = os.path.basename(value.rstrip("/")).split(".")[0] or "release"
        return downloads.release_folder(name, value, None)
    if "://" in value:
        return downloads.gfile_folder(value)
    from clue_tf.checkpoints.registry import find_entry, load_registry

    registry = load_registry() if registry is None else registry
    entry = find_entry(value, registry)
    if entry is None:
        close = difflib.get_close_matches(value, list(registry), n=1)
        hint = f"; did you mean the registry's {close[0]}?" if close else ""
        raise CheckpointError(f"{value}: model folder not found, and not a registry name or hf://ORG/NAME{hint}")
    return entry_folder(entry)


def entry_folder(entry) -> str:
    """A registry entry's files: from the Hub when it names a repo, else its release archive."""
    source = entry.source
    if source.get("hf"):
        folder = hub.hub_folder(*hub.parse(source["hf"]))
    elif source.get("url"):
        folder = downloads.release_folder(entry.name, source["url"], source.get("sha256"))
    else:
        raise CheckpointError(f"{entry.name}: the registry knows no download clue-tf can fetch ({entry.download}); "
                              f"download it by hand and give --bundle_dir=<the unpacked folder>")
    logger.info("%s: %s", entry.name, folder)
    return folder
